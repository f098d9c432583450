from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "ulinzi.patrols"
    label = "patrols"

    def ready(self) -> None:
        from ulinzi.patrols import domain  # noqa: F401  (patrol requests by SMS)

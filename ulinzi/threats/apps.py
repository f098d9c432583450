from django.apps import AppConfig


class ThreatsConfig(AppConfig):
    name = "ulinzi.threats"
    label = "threats"

    def ready(self) -> None:
        from ulinzi.threats import domain  # noqa: F401  (closed alerts become events)

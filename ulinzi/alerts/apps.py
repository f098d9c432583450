from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "ulinzi.alerts"
    label = "alerts"

    def ready(self) -> None:
        from ulinzi.alerts import domain  # noqa: F401  (turns inbound SMS into reports)

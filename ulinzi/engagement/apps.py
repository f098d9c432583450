from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "ulinzi.engagement"
    label = "engagement"

    def ready(self) -> None:
        from ulinzi.engagement import domain  # noqa: F401  (test replies and keyword answers)

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ulinzi.audit"
    label = "audit"

    def ready(self) -> None:
        from ulinzi.audit import purge  # noqa: F401  (registers the SQLite trigger function)

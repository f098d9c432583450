from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ulinzi.accounts"
    label = "accounts"

    def ready(self) -> None:
        from ulinzi.accounts import signals  # noqa: F401  (audits logins)

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ulinzi.accounts"
    label = "accounts"

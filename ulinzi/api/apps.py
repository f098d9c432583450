from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ulinzi.api"
    label = "api"

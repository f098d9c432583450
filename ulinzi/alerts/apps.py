from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "ulinzi.alerts"
    label = "alerts"

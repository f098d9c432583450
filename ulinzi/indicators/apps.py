from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "ulinzi.indicators"
    label = "indicators"

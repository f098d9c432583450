from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "ulinzi.patrols"
    label = "patrols"

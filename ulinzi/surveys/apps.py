from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "ulinzi.surveys"
    label = "surveys"

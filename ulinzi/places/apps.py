from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "ulinzi.places"
    label = "places"

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "ulinzi.messaging"
    label = "messaging"

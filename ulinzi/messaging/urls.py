from django.conf import settings
from django.urls import path

from ulinzi.messaging import views

app_name = "messaging"
urlpatterns = [
    path("channels/ext/<str:channel_uuid>/receive", views.receive, name="receive"),
    path("channels/ext/<str:channel_uuid>/sent", views.sent, name="sent"),
    path("channels/ext/<str:channel_uuid>/delivered", views.delivered, name="delivered"),
    path("channels/ext/<str:channel_uuid>/failed", views.failed, name="failed"),
    path("channels/ext/<str:channel_uuid>/status", views.status, name="status"),
    path("channels/ext/<str:channel_uuid>/stopped", views.stopped, name="stopped"),
    path("channels/ext/<str:channel_uuid>/missed", views.missed, name="missed"),
]

if settings.ULINZI_BENCH_ENDPOINTS:
    urlpatterns.append(
        path("channels/ext/<str:channel_uuid>/bare", views.bare_receive, name="bare")
    )

from django.urls import path

from ulinzi.threats import views

app_name = "threats"
urlpatterns = [
    path("threats/", views.matrix_page, name="matrix"),
    path("threats/events/", views.events_page, name="events"),
    path("threats/events.geojson", views.events_geojson, name="events_geojson"),
    path("threats/hotspots/", views.hotspots_page, name="hotspots"),
    path("threats/hotspots/<int:pk>/", views.hotspot_detail, name="hotspot"),
    path("threats/watch/", views.watch_page, name="watch"),
]

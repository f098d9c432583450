from django.urls import path

from ulinzi.places import views

app_name = "places"
urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("places/search/", views.search, name="search"),
    path("places/<int:pk>/", views.place_detail, name="detail"),
    path("places/geo/areas.geojson", views.areas_geojson, name="areas_geojson"),
    path("places/geo/settlements.geojson", views.settlements_geojson, name="settlements_geojson"),
    path("places/geo/communities.geojson", views.communities_geojson, name="communities_geojson"),
    path("places/geo/bases.geojson", views.bases_geojson, name="bases_geojson"),
]

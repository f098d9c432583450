from django.urls import path

from ulinzi.indicators import views

app_name = "indicators"
urlpatterns = [
    path("indicators/", views.dashboard, name="dashboard"),
    path("indicators/initiatives/", views.initiatives, name="initiatives"),
    path("indicators/initiatives/<int:pk>/", views.initiative, name="initiative"),
]

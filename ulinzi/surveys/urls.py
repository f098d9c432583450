from django.urls import path

from ulinzi.surveys import views

app_name = "surveys"
urlpatterns = [
    path("surveys/", views.index, name="index"),
    path("surveys/perception_of_safety.xlsx", views.standard_form, name="standard_form"),
    path("surveys/rounds/<int:pk>/", views.round_detail, name="round"),
]

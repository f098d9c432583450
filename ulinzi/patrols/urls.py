from django.urls import path

from ulinzi.patrols import views

app_name = "patrols"
urlpatterns = [
    path("patrols/", views.request_list, name="requests"),
    path("patrols/requests/new/", views.request_new, name="new"),
    path("patrols/requests/<int:pk>/", views.request_detail, name="request"),
    path("patrols/requests/<int:pk>/<str:action>/", views.request_action, name="action"),
    path("patrols/plan/", views.plan_page, name="plan"),
    path("patrols/capacity/", views.capacity_page, name="capacity"),
    path("patrols/figures/", views.figures_page, name="figures"),
    path("patrols/<int:pk>/record/", views.record_patrol, name="record"),
    path("patrols/<int:pk>/incident/", views.patrol_incident, name="incident"),
]

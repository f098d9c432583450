from django.urls import path

from ulinzi.alerts import views

app_name = "alerts"
urlpatterns = [
    path("alerts/", views.board, name="board"),
    path("alerts/new/", views.hotline, name="hotline"),
    path("alerts/figures/", views.figures_page, name="figures"),
    path("alerts/callbacks/", views.callbacks, name="callbacks"),
    path("alerts/responders/", views.responders, name="responders"),
    path("alerts/callbacks/<int:pk>/<str:action>/", views.callback_action, name="callback_action"),
    path("alerts/geo.geojson", views.alerts_geojson, name="geojson"),
    path("alerts/<int:pk>/", views.alert_detail, name="detail"),
    path("alerts/<int:pk>/regroup/", views.merge_or_split, name="regroup"),
    path("alerts/<int:pk>/correct/", views.correct, name="correct"),
    path("alerts/<int:pk>/<str:action>/", views.alert_action, name="action"),
    path("alerts/<int:pk>/reports/<int:report_pk>/number/", views.reveal_number, name="reveal"),
]

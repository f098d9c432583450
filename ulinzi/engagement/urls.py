from django.urls import path

from ulinzi.engagement import views

app_name = "engagement"
urlpatterns = [
    path("engagement/", views.hub, name="hub"),
    path("engagement/staff/", views.staff, name="staff"),
    path("engagement/coverage/", views.coverage, name="coverage"),
    path("engagement/network/", views.network, name="network"),
    path("engagement/communities/<int:pk>/", views.community, name="community"),
    path("engagement/communities/<int:pk>/send/", views.send_summary, name="send_summary"),
    path("engagement/meetings/new/", views.meeting_new, name="meeting_new"),
    path("engagement/commitments/", views.commitments, name="commitments"),
    path("engagement/jpt/", views.jpt_list, name="jpts"),
    path("engagement/jpt/<int:pk>/", views.jpt_detail, name="jpt"),
    path("engagement/broadcasts/", views.broadcasts, name="broadcasts"),
    path("engagement/broadcasts/<int:pk>/", views.broadcast_detail, name="broadcast"),
    path("engagement/keywords/", views.auto_replies, name="auto_replies"),
]

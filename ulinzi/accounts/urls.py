from django.contrib.auth import views as auth_views
from django.urls import path

from ulinzi.accounts import views

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", views.logout, name="logout"),
    path("otp/", views.otp, name="otp"),
    path("preferences/", views.preferences, name="preferences"),
]

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView

from ulinzi import views
from ulinzi.api.api import api
from ulinzi.audit.views import audit_log

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", TemplateView.as_view(template_name="about.html"), name="about"),
    # Asked for by browsers on pages without the icon's link (the admin's).
    path("favicon.ico", RedirectView.as_view(url=static("ulinzi/favicon.svg"), permanent=True)),
    path("accounts/", include("ulinzi.accounts.urls")),
    path("audit/", audit_log, name="audit_log"),
    path("", include("ulinzi.places.urls")),
    path("", include("ulinzi.messaging.urls")),
    path("", include("ulinzi.alerts.urls")),
    path("", include("ulinzi.threats.urls")),
    path("", include("ulinzi.patrols.urls")),
    path("", include("ulinzi.engagement.urls")),
    path("", include("ulinzi.surveys.urls")),
    path("", include("ulinzi.indicators.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

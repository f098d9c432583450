import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from ulinzi.lib import collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ulinzi.settings")
application = get_wsgi_application()

# Load every view now rather than on the first requests, then keep what is loaded out of
# the cycle collector's way (see ulinzi/lib/collector.py).
get_resolver().url_patterns  # noqa: B018 (imports the URL configuration and its views)
collector.settle()
collector.watch()
request_finished.connect(collector.settle_if_asked, dispatch_uid="ulinzi-collector")

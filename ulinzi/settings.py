"""Settings, from environment variables with safe defaults.

- ``DATABASE_URL``: ``sqlite:///path`` (default: ``var/ulinzi.sqlite3``) or
  ``postgres://user@host:port/name``.
- ``ULINZI_VAR_DIR``: where the database, keys and uploads live (default ``./var``).
- ``ULINZI_DEBUG``: ``1`` for development pages with tracebacks (default off).
- ``ULINZI_ALLOWED_HOSTS``: comma-separated (default ``127.0.0.1,localhost``).
- ``ULINZI_RETENTION``: days to keep each record type, over the defaults of
  ``ulinzi.audit.retention`` (``sms_texts=180,audit=3650``).

The secret key and the field-encryption keys are generated into the var directory on
first run and never committed.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from ulinzi.audit import retention

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("ULINZI_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _key_file(name: str, nbytes: int) -> str:
    """A random key kept in VAR_DIR, created with owner-only permissions on first use."""
    path = VAR_DIR / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(nbytes))
    return path.read_text().strip()


def _database(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them
        name = unquote(parsed.netloc + parsed.path)
        name = name[1:] if name.startswith("/") and not parsed.netloc else name
        return {
            # Django's SQLite backend, with writers queued on a file lock (ulinzi/lib/sqlite)
            "ENGINE": "ulinzi.lib.sqlite",
            "NAME": name or str(VAR_DIR / "ulinzi.sqlite3"),
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write
            # lock at BEGIN so two writers queue instead of failing halfway.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Tests run on an in-memory database, one per test process (the test
            # runner would otherwise name a file after the engine it does not know).
            "TEST": {"NAME": ":memory:"},
        }
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "ulinzi",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            # Kept open: renewed every minute, the server threads' connections were
            # opened again together when requests resumed, and the first SMS of a burst
            # waited 100-200 ms for them. One found broken is opened again by the next
            # request (docs/operations.md).
            "CONN_MAX_AGE": None,
        }
    raise ValueError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (sqlite or postgres)")


DEBUG = os.environ.get("ULINZI_DEBUG", "") == "1"
SECRET_KEY = os.environ.get("ULINZI_SECRET_KEY") or _key_file("secret.key", 32)
# AES-GCM key for reporters' phone numbers and the HMAC key of their blind index.
FIELD_ENCRYPTION_KEY = os.environ.get("ULINZI_FIELD_KEY") or _key_file("field.key", 32)
BLIND_INDEX_KEY = os.environ.get("ULINZI_BLIND_INDEX_KEY") or _key_file("blind-index.key", 32)
ALLOWED_HOSTS = os.environ.get("ULINZI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

DATABASES = {
    "default": _database(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'ulinzi.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # the API docs page from its own static files, not a CDN
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ulinzi.audit",
    "ulinzi.places",
    "ulinzi.accounts",
    "ulinzi.messaging",
    "ulinzi.alerts",
    "ulinzi.threats",
    "ulinzi.patrols",
    "ulinzi.engagement",
    "ulinzi.surveys",
    "ulinzi.indicators",
    "ulinzi.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ulinzi.accounts.middleware.UserLanguageMiddleware",
    "ulinzi.accounts.middleware.RequireLoginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ulinzi.urls"
WSGI_APPLICATION = "ulinzi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "ulinzi.accounts.context.role",
            ]
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_SECURE = os.environ.get("ULINZI_HTTPS", "") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Lock an account after 5 failed logins, for 30 minutes, from wherever they came, and
# an address that failed 5 times whatever usernames it tried (an administrator lifts a
# lock sooner with `ulinzi axes_reset_username USERNAME` or `axes_reset_ip ADDRESS`).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Ulinzi"

LANGUAGE_CODE = "en"
# Each language in its own name, so someone who switched by mistake can switch back.
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("ULINZI_TIME_ZONE", "Africa/Lubumbashi")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "ULINZI_STATIC_STORAGE",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage",
        )
    },
}
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

# Nothing is loaded from anywhere but this server: a field base has no internet.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

NINJA_PAGINATION_PER_PAGE = 50
# Only the intake benchmark turns this on: a bare receive endpoint as its baseline.
ULINZI_BENCH_ENDPOINTS = os.environ.get("ULINZI_BENCH_ENDPOINTS", "") == "1"
ULINZI_TRIAGE_MODEL = os.environ.get("ULINZI_TRIAGE_MODEL") or None
# When a new report joins an open alert (see ulinzi.alerts.grouping.Thresholds for every
# key and its meaning): e.g. ULINZI_GROUPING='{"max_km": 3, "max_hours": 6}'.
ULINZI_GROUPING = json.loads(os.environ.get("ULINZI_GROUPING") or "{}")
# Days each record type is kept before `ulinzi purge` removes it (see
# ulinzi.audit.retention): e.g. ULINZI_RETENTION="sms_texts=180,audit=3650".
try:
    ULINZI_RETENTION = retention.policy(retention.parse(os.environ.get("ULINZI_RETENTION", "")))
except ValueError as _exc:
    raise ImproperlyConfigured(f"ULINZI_RETENTION: {_exc}") from None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ULINZI_LOG_LEVEL", "WARNING")},
}

"""Settings of the Django example: `startproject`'s, trimmed to what a login
needs. Every session and cookie setting is Django's default: sessions in the
database, a `sessionid` cookie that is HttpOnly, SameSite=Lax, not Secure,
two weeks long; a new session key at login (`cycle_key`), the session flushed
at logout, a CSRF token in every form.

Deliberately a development setup (DEBUG, a published key, plain HTTP): it
listens on 127.0.0.1 only, for `sessionlab attack --target-file`.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# A development key, as startproject writes one; never for a real deployment.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-sessionlab-example-only")
DEBUG = True
# The lab network reaches the app as app.lab.test (see docs/your-own-app.md).
ALLOWED_HOSTS = ["app.lab.test", "127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "labsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # The test gives each run its own database file.
        "NAME": os.environ.get("DJANGO_DB", BASE_DIR / "db.sqlite3"),
    }
}

LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

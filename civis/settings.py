"""The one settings module of Civis Data.

Everything that differs between a laptop demo and production comes from the environment
(``CIVIS_*`` variables and ``DATABASE_URL``); the README lists them. Defaults are the embedded
ones: an SQLite file under ``var/``, local media files, the database search backend.
Production without a secret key refuses to start.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CIVIS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}.")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from exc


DEBUG = env_bool("CIVIS_DEBUG", False)

SECRET_KEY = os.environ.get("CIVIS_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "CIVIS_SECRET_KEY is not set. It is required when CIVIS_DEBUG is off "
            "(production). Generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'"
        )
    # Debug only: a fixed, obviously unsafe key so a demo session survives restarts.
    SECRET_KEY = "civis-insecure-debug-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "CIVIS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CIVIS_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "civis.portal",
    "audit",
    "identity",
    "documents",
    "search",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    # Needed by the admin's JavaScript config; its menu and serve URLs are not used: our
    # documents.Document is the one document store (see documents/wagtail_hooks.py).
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "guardian",
    "django_tasks_db",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Federated sign-in (see the block at the end): OIDC providers registered in the admin,
    # LDAP directories from CIVIS_LDAP_DIRECTORIES. Each answers only its own requests.
    "identity.oidc.OIDCBackend",
    "identity.directories.LDAPDirectoriesBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian "anonymous user" row: anonymous visitors read through the selector's rules.
ANONYMOUS_USER_NAME = None

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civis.portal.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "civis.urls"
WSGI_APPLICATION = "civis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "civis" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civis.portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DEFAULT_SQLITE_PATH = VAR_DIR / "civis.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}",
        conn_max_age=env_int("CIVIS_DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] == str(DEFAULT_SQLITE_PATH):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the demo server read while a management command writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRESQL = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRESQL:
    # Wagtail's PostgreSQL search index uses SearchVectorField and GIN indexes.
    INSTALLED_APPS.append("django.contrib.postgres")

AUTH_USER_MODEL = "identity.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "citizen_space"

# --- Internationalisation: French first, English available ----------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "civis" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# --- Static and media files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "civis" / "static"]
STATIC_ROOT = Path(os.environ.get("CIVIS_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("CIVIS_MEDIA_ROOT", VAR_DIR / "media"))
# Document files are private: no MEDIA_URL serves them, only the permission-checked views.
CIVIS_S3_BUCKET = os.environ.get("CIVIS_S3_BUCKET", "")
if CIVIS_S3_BUCKET:
    DOCUMENT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": CIVIS_S3_BUCKET,
            "endpoint_url": os.environ.get("CIVIS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("CIVIS_S3_REGION") or None,
            "access_key": os.environ.get("CIVIS_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("CIVIS_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "location": os.environ.get("CIVIS_S3_PREFIX", ""),
        },
    }
else:
    DOCUMENT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT / "private"), "base_url": None},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "documents": DOCUMENT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
CIVIS_MAX_UPLOAD_MB = env_int("CIVIS_MAX_UPLOAD_MB", 50)
CIVIS_AUDIT_RETENTION_DAYS = env_int("CIVIS_AUDIT_RETENTION_DAYS", 365)

# --- Background tasks -----------------------------------------------------------------------
# Two task frameworks read TASKS: Wagtail's (the django-tasks package, "default" alias) and
# Django's own, which runs our tasks on the "civis" alias: a database queue drained by
# `manage.py db_worker --backend civis`, or immediate when CIVIS_TASKS_IMMEDIATE=1 (tests).
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "civis": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if env_bool("CIVIS_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    },
}

# --- Search ---------------------------------------------------------------------------------
CIVIS_ELASTICSEARCH_URL = os.environ.get("CIVIS_ELASTICSEARCH_URL", "")
CIVIS_ELASTICSEARCH_INDEX = os.environ.get("CIVIS_ELASTICSEARCH_INDEX", "civis")
WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "wagtail.search.backends.database"},
}
if CIVIS_ELASTICSEARCH_URL:
    WAGTAILSEARCH_BACKENDS["default"] = {
        "BACKEND": "wagtail.search.backends.elasticsearch8",
        "URLS": [CIVIS_ELASTICSEARCH_URL],
        "INDEX": CIVIS_ELASTICSEARCH_INDEX,
        "TIMEOUT": 5,
    }

# --- Wagtail --------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = os.environ.get("CIVIS_SITE_NAME", "Civis Data")
WAGTAILADMIN_BASE_URL = os.environ.get("CIVIS_BASE_URL", "http://127.0.0.1:8000")

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    # Behind a TLS-terminating proxy, set CIVIS_PROXY_SSL_HEADER=1 so Django trusts
    # X-Forwarded-Proto; CIVIS_SECURE_SSL_REDIRECT=0 when the proxy already redirects.
    SECURE_SSL_REDIRECT = env_bool("CIVIS_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("CIVIS_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CIVIS_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("CIVIS_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("CIVIS_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("CIVIS_SECURE_COOKIES", True)
    if env_bool("CIVIS_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CIVIS_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per background task at INFO drowns the demo's console.
        "django_tasks": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}


# --- Federated identity (OIDC, LDAP) ---
# OIDC providers are rows registered in the admin (Fournisseurs d'identité); these settings
# only tune the client. LDAP directories come from CIVIS_LDAP_DIRECTORIES: a JSON list, or the
# path of a JSON file holding it (docs/federated-identity.md). Nothing is needed for the demo.
CIVIS_OIDC_VERIFY_TLS = env_bool("CIVIS_OIDC_VERIFY_TLS", True)
LOGIN_REDIRECT_URL_FAILURE = "login"
LOGOUT_REDIRECT_URL = "/"
OIDC_REDIRECT_REQUIRE_HTTPS = not DEBUG and env_bool("CIVIS_SECURE_COOKIES", True)


def _ldap_directories() -> list[dict]:
    import json

    value = os.environ.get("CIVIS_LDAP_DIRECTORIES", "").strip()
    if not value:
        return []
    try:
        text = value if value.startswith("[") else Path(value).read_text(encoding="utf-8")
        directories = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"CIVIS_LDAP_DIRECTORIES must be a JSON list or the path of one: {exc}") from exc
    for entry in directories:
        missing = {"name", "uri", "user_base", "authority"} - set(entry)
        if missing:
            raise ImproperlyConfigured(f"CIVIS_LDAP_DIRECTORIES entry lacks {sorted(missing)}")
    return directories


CIVIS_LDAP_DIRECTORIES = _ldap_directories()

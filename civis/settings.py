"""The one settings module of Civis Data.

Everything that differs between a laptop demo and production comes from the environment
(``CIVIS_*`` variables and ``DATABASE_URL``); the README lists them. Defaults are the embedded
ones: an SQLite file under ``var/``, local media files, the database search backend.
Production without a secret key refuses to start.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

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
    "opendata",
    "procedures",
    "elections",
    "polling",
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
    "axes",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses password sign-ins while the account or the address is locked out
    # (django-axes, see "Login throttling"); signs nobody in itself.
    "identity.security.LoginThrottleBackend",
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
    # HEAD answered as GET without the body, by every view (require_GET ones included).
    "core.middleware.HeadAsGetMiddleware",
    # 304 for a request whose If-None-Match / If-Modified-Since matches (public downloads
    # are "public, no-cache" with an ETag: caches revalidate cheaply).
    "django.middleware.http.ConditionalGetMiddleware",
    # Django's CSP header (with its nonce) from the policy SecurityHeadersMiddleware picks.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    # Election night: the public results answers just built, answered again for
    # CIVIS_RESULTS_FRESH_SECONDS without the rest of the stack (elections/middleware.py).
    "elections.middleware.ResultsFastPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civis.portal.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # What anonymous visitors see, answered from the shared cache (core/pagecache.py).
    "core.pagecache.AnonymousPageCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.csp",
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

# --- Cache ---
# One cache shared by every process (django.core.cache.cache: the OIDC logout-token replay
# set, discovery documents and signing keys, the API throttles, Wagtail's per-site data):
# Redis when CIVIS_CACHE_URL is set (redis://, rediss://, unix://), else a table of the
# database (civis_cache, created by the migration portal.0002_cache_table), so the demo needs
# no extra server. Production: prefer Redis (Wagtail reads the cache for each page URL it
# builds, a query each with the database cache).
CIVIS_CACHE_URL = os.environ.get("CIVIS_CACHE_URL", "").strip()
CIVIS_CACHE_TABLE = "civis_cache"
if CIVIS_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            # Django's, keeping its redis-py client (core/cache.py).
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": CIVIS_CACHE_URL,
            "KEY_PREFIX": "civis",
        }
    }
elif CIVIS_CACHE_URL:
    raise ImproperlyConfigured(
        f"CIVIS_CACHE_URL must be a redis://, rediss:// or unix:// URL, got {CIVIS_CACHE_URL!r}."
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CIVIS_CACHE_TABLE,
            "KEY_PREFIX": "civis",
            # Django's 300 would cull the kept anonymous pages (core/pagecache.py) as soon as
            # Wagtail's per-page entries fill the table: a third of the rows at each write.
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# What anonymous visitors see (core/pagecache.py): these views' answers to a visitor with no
# session, kept in the shared cache and made stale on commit of any change they show
# (civis/portal/receivers.py). CIVIS_PAGE_CACHE_SECONDS only bounds how long a copy is kept;
# 0 turns the page cache off, the default in debug (a template being edited shows at once).
CIVIS_PAGE_CACHE_SECONDS = env_int("CIVIS_PAGE_CACHE_SECONDS", 0 if DEBUG else 600)
CIVIS_PAGE_CACHE_VIEWS = [
    "wagtail_serve",  # the home and authority pages
    "document_detail",
    "documents_feed",
    "django.contrib.sitemaps.views.sitemap",
    "opendata:catalog",
    "opendata:catalog_ttl",
    "opendata:catalog_jsonld",
    "opendata:catalog_xml",
    "opendata:dataset_list",
    "opendata:dataset_detail",
    "accessibility_declaration",
    "accessibility_plan",
]

# Each process keeps the bodies of the public results answers it built (elections.exports):
# keyed by the round's ETag, which every publication moves, so a copy is never stale and
# needs no invalidation across processes; bounded so a long night does not grow memory.
CACHES["results"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "civis-results",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 200},
}

# How long a process answers a public results answer it just built again, without the
# database (elections/middleware.py); 0 turns it off. A publication reaches readers within
# this plus the answers' max-age (5 s).
CIVIS_RESULTS_FRESH_SECONDS = env_int("CIVIS_RESULTS_FRESH_SECONDS", 1)
# Spelling suggestions and autocomplete: how long each process keeps the index's vocabulary.
CIVIS_SEARCH_VOCABULARY_SECONDS = env_int("CIVIS_SEARCH_VOCABULARY_SECONDS", 300)

# The elections' maps are drawn from the bureaux' contours with no background by default
# (nothing is fetched from another server). CIVIS_ELECTIONS_TILE_URL, an https:// template with
# {z}, {x} and {y} (slippy-map tiles, Web Mercator), draws them over a tile server's map; its
# credit (CIVIS_ELECTIONS_TILE_ATTRIBUTION) is then required, and its origin joins img-src.
CIVIS_ELECTIONS_TILE_URL = os.environ.get("CIVIS_ELECTIONS_TILE_URL", "").strip()
CIVIS_ELECTIONS_TILE_ATTRIBUTION = os.environ.get("CIVIS_ELECTIONS_TILE_ATTRIBUTION", "").strip()
_TILE_ORIGIN = ""
if CIVIS_ELECTIONS_TILE_URL:
    _tiles = urlsplit(CIVIS_ELECTIONS_TILE_URL)
    if (
        _tiles.scheme != "https"
        or not _tiles.netloc
        or "{" in _tiles.netloc
        or any(part not in CIVIS_ELECTIONS_TILE_URL for part in ("{z}", "{x}", "{y}"))
    ):
        raise ImproperlyConfigured(
            "CIVIS_ELECTIONS_TILE_URL must be an https:// URL with {z}, {x} and {y}, "
            f"got {CIVIS_ELECTIONS_TILE_URL!r}."
        )
    if not CIVIS_ELECTIONS_TILE_ATTRIBUTION:
        raise ImproperlyConfigured(
            "CIVIS_ELECTIONS_TILE_ATTRIBUTION is required with CIVIS_ELECTIONS_TILE_URL "
            "(the tile provider's credit, e.g. « © les contributeurs d'OpenStreetMap »)."
        )
    _TILE_ORIGIN = f"https://{_tiles.netloc}"

AUTH_USER_MODEL = "identity.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
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
# Bulk upload (documents/services/bulk.py): files per batch, a ZIP's entries counted one by one,
# and their total size. Django refuses (400) a request carrying more than
# DATA_UPLOAD_MAX_NUMBER_FILES files before any view runs: kept above the batch limit.
CIVIS_BULK_MAX_FILES = env_int("CIVIS_BULK_MAX_FILES", 50)
CIVIS_BULK_MAX_MB = env_int("CIVIS_BULK_MAX_MB", 200)
DATA_UPLOAD_MAX_NUMBER_FILES = max(100, CIVIS_BULK_MAX_FILES + 10)

# --- Malware scanning ---
# Every upload is scanned by ClamAV's clamd before anything is stored (documents/scanning.py):
# CIVIS_CLAMAV_SOCKET (a unix socket path) or CIVIS_CLAMAV_HOST + CIVIS_CLAMAV_PORT. Neither
# set: no scanning (the demo needs nothing; `check --deploy` warns when debug is off). Set but
# clamd not answering within CIVIS_CLAMAV_TIMEOUT seconds: uploads are refused, unless
# CIVIS_CLAMAV_FAIL_OPEN=1 accepts them unscanned (logged).
CIVIS_CLAMAV_SOCKET = os.environ.get("CIVIS_CLAMAV_SOCKET", "")
CIVIS_CLAMAV_HOST = os.environ.get("CIVIS_CLAMAV_HOST", "")
CIVIS_CLAMAV_PORT = env_int("CIVIS_CLAMAV_PORT", 3310)
CIVIS_CLAMAV_TIMEOUT = env_int("CIVIS_CLAMAV_TIMEOUT", 30)
CIVIS_CLAMAV_FAIL_OPEN = env_bool("CIVIS_CLAMAV_FAIL_OPEN", False)

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
WAGTAILSEARCH_BACKENDS: dict[str, dict[str, object]] = {
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

# --- Outgoing mail (a reporter told the outcome of their report, …) ---
# An SMTP server when CIVIS_SMTP_HOST is set (production); otherwise each message is written
# as a file under var/mail/ so the demo needs no mail server and what it sends can be read.
CIVIS_SMTP_HOST = os.environ.get("CIVIS_SMTP_HOST", "")
DEFAULT_FROM_EMAIL = os.environ.get(
    "CIVIS_FROM_EMAIL", "Civis Data <ne-pas-repondre@civis.localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if CIVIS_SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = CIVIS_SMTP_HOST
    EMAIL_PORT = env_int("CIVIS_SMTP_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("CIVIS_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("CIVIS_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("CIVIS_SMTP_STARTTLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# --- Open data ---
# Reports (a-posteriori moderation) one address may file per hour; the count lives in the
# cache under a salted hash of the address, never in the database.
CIVIS_REPORTS_PER_HOUR = env_int("CIVIS_REPORTS_PER_HOUR", 5)
# Online procedures' webhooks may reach loopback and private addresses (tests, a back-office on
# the same host); by default they are refused like any request the server makes for a user.
CIVIS_WEBHOOK_ALLOW_LOOPBACK = env_bool("CIVIS_WEBHOOK_ALLOW_LOOPBACK", False)
# Who runs the portal, as the DCAT catalog's publisher (default: the site name).
CIVIS_CATALOG_PUBLISHER = os.environ.get("CIVIS_CATALOG_PUBLISHER", "")

# --- Admin accounts: no self-service e-mail change ---
# Everyone in the Wagtail admin is an agent (or a superuser): their address comes from their
# identity provider or a superuser (/admin/users/), never from /admin/account/, so nobody takes
# the address of another (issue 18, item 4). Not configurable: a security invariant.
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False

# --- API ---
# The JSON API (/api/v1/, civis/api.py) throttles each anonymous address and each signed-in
# account to these rates ("<requests>/<s|m|h|d>", or "off" when a gateway in front already
# throttles), counted in the default cache; beyond, a 429 with Retry-After. "ninja" is an
# app so its docs page (/api/v1/docs) serves Swagger UI from our static files, not a CDN.
INSTALLED_APPS.append("ninja")
CIVIS_API_RATE_ANON = os.environ.get("CIVIS_API_RATE_ANON", "120/m").strip()
CIVIS_API_RATE_USER = os.environ.get("CIVIS_API_RATE_USER", "600/m").strip()
for _name, _rate in (
    ("CIVIS_API_RATE_ANON", CIVIS_API_RATE_ANON),
    ("CIVIS_API_RATE_USER", CIVIS_API_RATE_USER),
):
    _count, _, _period = _rate.partition("/")
    if _rate != "off" and not (
        _count.isascii()
        and _count.isdigit()
        and int(_count) > 0
        and _period in {"s", "m", "h", "d"}
    ):
        raise ImproperlyConfigured(
            f"{_name} must look like 120/m (per s, m, h or d) or be off, got {_rate!r}."
        )

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
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^sante/$"]
    SECURE_HSTS_SECONDS = env_int("CIVIS_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CIVIS_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("CIVIS_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("CIVIS_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("CIVIS_SECURE_COOKIES", True)
    if env_bool("CIVIS_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Login throttling (django-axes) ---
# Password sign-ins (the portal's /connexion/, Wagtail's /admin/login/, LDAP through either)
# are refused for CIVIS_LOGIN_LOCKOUT_MINUTES once an account, or a client address, has
# CIVIS_LOGIN_LOCKOUT_FAILURES failures inside that window. Attempts live in the database
# (axes' AccessAttempt), so every process sees them and `manage.py civis_unlock` lifts a lock.
CIVIS_LOGIN_LOCKOUT_FAILURES = env_int("CIVIS_LOGIN_LOCKOUT_FAILURES", 5)
CIVIS_LOGIN_LOCKOUT_MINUTES = env_int("CIVIS_LOGIN_LOCKOUT_MINUTES", 15)
if not 1 <= CIVIS_LOGIN_LOCKOUT_FAILURES <= 10:
    raise ImproperlyConfigured("CIVIS_LOGIN_LOCKOUT_FAILURES must be between 1 and 10.")
if CIVIS_LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("CIVIS_LOGIN_LOCKOUT_MINUTES must be at least 1.")
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = CIVIS_LOGIN_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = datetime.timedelta(minutes=CIVIS_LOGIN_LOCKOUT_MINUTES)
# Either one locks: the account (whatever the address) or the address (whatever the account).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success must not wipe the count: it would also wipe the address's failures on other
# accounts (one valid account would then reset a brute force of another).
AXES_RESET_ON_SUCCESS = False
# Attempts during a lockout are refused without extending it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "identity.security.throttled_username"
AXES_WHITELIST_CALLABLE = "identity.security.is_not_a_password_login"
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
AXES_LOCKOUT_CALLABLE = "identity.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no banner at every start
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins: the audit log and sessions suffice
AXES_ENABLE_ADMIN = False  # django.contrib.admin is not served; civis_unlock lifts locks
# Wagtail's page passwords would be a password form outside the throttle: not offered.
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"password": False}

# --- Content-Security-Policy ---
# Django's CSP middleware sends SECURE_CSP on every response (downloads keep their own
# sandboxed policy, documents/http.py); the portal runs no inline script or style: a script
# it ever needs carries nonce="{{ csp_nonce }}". Wagtail's page editor runs inline scripts
# (tests/browser/test_csp.py sees them blocked otherwise), so /admin/ gets its own policy with
# 'unsafe-inline' for scripts and styles only. form-action also lists the enabled OIDC providers'
# origins (core.middleware), because sign-in and sign-out forms redirect to them.
_CSP_COMMON = {
    "default-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *([_TILE_ORIGIN] if _TILE_ORIGIN else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CSP = {**_CSP_COMMON, "script-src": [CSP.SELF, CSP.NONCE], "style-src": [CSP.SELF]}
CIVIS_CSP_BY_PATH = {
    "/admin/": {
        **_CSP_COMMON,
        "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
        "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
        "img-src": [CSP.SELF, "data:", "blob:"],
        # The page preview is an iframe of the admin itself.
        "frame-ancestors": [CSP.SELF],
    },
}
CIVIS_CSP_FORM_ACTION = env_list("CIVIS_CSP_FORM_ACTION", [])
CIVIS_CSP_FORM_ACTION_SOURCES = "identity.security.oidc_form_origins"
CIVIS_PERMISSIONS_POLICY: dict[str, list[str]] = {
    name: []
    for name in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    )
}
# No Gravatar (agents' e-mail hashes would go to a third party) and no release check from
# the dashboard (a fetch to wagtail.org): connect-src and img-src stay 'self'.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# --- Error pages ---
# 400/403/404/500 are civis.portal.views' (handlers in civis/urls.py); a CSRF refusal too.
CSRF_FAILURE_VIEW = "civis.portal.views.csrf_failure"

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


def _ldap_directories() -> list[dict[str, Any]]:
    import json

    value = os.environ.get("CIVIS_LDAP_DIRECTORIES", "").strip()
    if not value:
        return []
    try:
        text = value if value.startswith("[") else Path(value).read_text(encoding="utf-8")
        directories: list[dict[str, Any]] = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"CIVIS_LDAP_DIRECTORIES must be a JSON list or the path of one: {exc}"
        ) from exc
    for entry in directories:
        missing = {"name", "uri", "user_base", "authority"} - set(entry)
        if missing:
            raise ImproperlyConfigured(f"CIVIS_LDAP_DIRECTORIES entry lacks {sorted(missing)}")
    return directories


CIVIS_LDAP_DIRECTORIES = _ldap_directories()


# --- Federated identity hardening ---
# Secrets kept in the database (OIDC client secrets) are encrypted with CIVIS_FIELD_ENCRYPTION_KEY:
# one Fernet key, or a comma-separated list for a rotation (the first encrypts, all decrypt;
# `manage.py civis_rotate_field_key` re-encrypts with the first). Required when debug is off;
# in debug, a key derived from the secret key.
def _field_encryption_keys() -> list[str]:
    import base64
    import hashlib

    from cryptography.fernet import Fernet

    value = os.environ.get("CIVIS_FIELD_ENCRYPTION_KEY", "").strip()
    how = (
        "Generate one with: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    )
    if not value:
        if not DEBUG:
            raise ImproperlyConfigured(
                "CIVIS_FIELD_ENCRYPTION_KEY is not set. It is required when CIVIS_DEBUG is off "
                "(production): it encrypts the secrets kept in the database (OIDC client "
                f"secrets). {how}"
            )
        digest = hashlib.sha256(b"civis-field-encryption:" + SECRET_KEY.encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    keys = [key.strip() for key in value.split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"CIVIS_FIELD_ENCRYPTION_KEY: key {position} is not a Fernet key (32 bytes in "
                f"URL-safe base64). {how}"
            ) from None
    return keys


CIVIS_FIELD_ENCRYPTION_KEYS = _field_encryption_keys()
# OIDC: the portal calls https issuers on the public Internet only. http is accepted for a
# provider on this machine (loopback) in debug or with CIVIS_OIDC_ALLOW_HTTP_LOOPBACK=1 (tests);
# CIVIS_OIDC_ALLOW_PRIVATE_NETWORKS=1 lets an internal provider (private, link-local or
# loopback addresses) in. Cloud metadata addresses are always refused.
CIVIS_OIDC_ALLOW_HTTP_LOOPBACK = DEBUG or env_bool("CIVIS_OIDC_ALLOW_HTTP_LOOPBACK", False)
CIVIS_OIDC_ALLOW_PRIVATE_NETWORKS = env_bool("CIVIS_OIDC_ALLOW_PRIVATE_NETWORKS", False)
# LDAP: ldaps:// or ldap:// with StartTLS; CIVIS_LDAP_ALLOW_INSECURE=1 allows a plain ldap://
# directory on loopback only (the tests' slapd).
CIVIS_LDAP_ALLOW_INSECURE = env_bool("CIVIS_LDAP_ALLOW_INSECURE", False)


def _check_ldap_transport() -> None:
    from identity.netpolicy import ldap_refusal

    for entry in CIVIS_LDAP_DIRECTORIES:
        refusal = ldap_refusal(
            str(entry["uri"]),
            start_tls=bool(entry.get("start_tls")),
            allow_insecure=CIVIS_LDAP_ALLOW_INSECURE,
        )
        if refusal:
            raise ImproperlyConfigured(
                f"CIVIS_LDAP_DIRECTORIES: the directory {entry['name']} {refusal}. Use "
                'ldaps:// or "start_tls": true.'
            )


_check_ldap_transport()

"""Django settings, configured from the environment (see README: Configuration)."""

import datetime as dt
import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("AFTERSALES_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("AFTERSALES_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("AFTERSALES_DEBUG", "0").lower() in {"1", "true", "yes"}
ALLOWED_HOSTS = os.environ.get("AFTERSALES_ALLOWED_HOSTS", "*").split(",")
# The demo (`make run`): lists its accounts on the sign-in page and may run on the development
# key. Without it and without DEBUG, `aftersales serve` and the WSGI application refuse to
# start until the key and the host list are set (aftersales.core.production; docs/security.md).
AFTERSALES_DEMO = os.environ.get("AFTERSALES_DEMO", "0").lower() in {"1", "true", "yes"}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "aftersales.catalog",
    "aftersales.core",
    "aftersales.orders",
    "aftersales.deadlines",
    "aftersales.ledger",
    "aftersales.cases",
    "aftersales.notify",
    "aftersales.tickets",
    "aftersales.surveys",
    "aftersales.assistant",
    "aftersales.web",
    "aftersales.demo",
    "django_htmx",
    "axes",
]

MIDDLEWARE = [
    "aftersales.ops.middleware.request_metrics",  # outermost: times the whole answer
    # Every response, an error included, carries the request id it was logged with.
    "aftersales.core.requestlog.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "aftersales.core.middleware.guard_api_bodies",
    "aftersales.core.middleware.reject_nul_characters",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "aftersales.web.sessions.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "aftersales.core.ratelimits.ApiGuardMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aftersales.urls"
WSGI_APPLICATION = "aftersales.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aftersales.web.context.inbox",
            ],
        },
    },
]


def _database_config() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'aftersales.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at
        # BEGIN so that two writers queue instead of failing with "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["CONN_MAX_AGE"] = 0
    else:
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = os.environ.get("AFTERSALES_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOCALE_PATHS = [BASE_DIR / "locale"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# JSON bodies of /api/ (the API takes no uploads; the consoles' uploads keep their own limit).
API_MAX_BODY_BYTES = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

# One JSON object per line, with the request id and the actor (aftersales.core.requestlog).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "aftersales.core.requestlog.RequestContextFilter"}},
    "formatters": {"json": {"()": "aftersales.core.requestlog.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request"],
        }
    },
    "loggers": {
        "aftersales": {"handlers": ["console"], "level": "INFO"},
        "django": {"handlers": ["console"], "level": "WARNING"},
        # 4xx are answers, not incidents; 5xx are logged with their traceback by requestlog.
        "django.request": {"level": "ERROR"},
        "axes": {"handlers": ["console"], "level": "WARNING"},
    },
}

# --- Security (OWASP ASVS level 2; docs/security.md) ----------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first: a locked-out username+address is refused before the password is
    # checked, the right password included.
    "aftersales.core.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AFTERSALES_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("AFTERSALES_LOGIN_COOLOFF_MIN", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "aftersales.web.views.account.locked_out"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Requests per minute (django-ratelimit): AFTERSALES_RATE_LIMITS=off, or JSON overriding keys.
AFTERSALES_RATE_LIMITS: dict[str, str] = {
    "api_write": "600/m",  # per token
    "api_read": "3000/m",  # per token
    "api_address": "6000/m",  # per client address, with or without a token
    "login": "30/m",  # web sign-in POSTs per address (axes locks username+address apart)
}
if os.environ.get("AFTERSALES_RATE_LIMITS", "").lower() == "off":
    AFTERSALES_RATE_LIMITS = {}
elif os.environ.get("AFTERSALES_RATE_LIMITS"):
    import json

    AFTERSALES_RATE_LIMITS.update(json.loads(os.environ["AFTERSALES_RATE_LIMITS"]))
AFTERSALES_TOKEN_LIFETIME_DAYS = int(os.environ.get("AFTERSALES_TOKEN_LIFETIME_DAYS", "90"))


def _cache_config() -> dict[str, Any]:
    """Counters shared by every worker: Redis if AFTERSALES_CACHE_URL names it, else a table
    in the database (created by core's migrations), which needs nothing more installed."""
    url = os.environ.get("AFTERSALES_CACHE_URL", "")
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    return {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "aftersales_cache",
    }


# Django's Redis cache increments atomically; the database cache may undercount a burst by a
# few (a limit, not a ledger).
CACHES = {"default": _cache_config()}

# Staff sessions end after a shift; consumers stay signed in for two weeks (Django's default).
SESSION_COOKIE_AGE = 14 * 24 * 3600
AFTERSALES_STAFF_SESSION_SECONDS = int(os.environ.get("AFTERSALES_STAFF_SESSION_SECONDS", "28800"))
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Behind TLS (a proxy that sets X-Forwarded-Proto): HSTS, Secure cookies, redirect to https.
if os.environ.get("AFTERSALES_HTTPS", "0").lower() in {"1", "true", "yes"}:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Scripts and styles from this site only: the consoles' behaviour lives in /static/web/app.js.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Policy choices marked ⚙ in spec/workflows.md; override any key here or via the environment
# variable AFTERSALES_POLICY (JSON).
AFTERSALES_POLICY: dict[str, int] = {}
if os.environ.get("AFTERSALES_POLICY"):
    import json

    AFTERSALES_POLICY = json.loads(os.environ["AFTERSALES_POLICY"])

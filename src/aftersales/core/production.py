"""Production mode: neither AFTERSALES_DEBUG nor AFTERSALES_DEMO. The server refuses to start
there on the development secret key or without an explicit host list (docs/security.md)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_KEY = "dev-only-insecure-key-change-me"
MIN_KEY_LENGTH = 50


def problems() -> list[str]:
    """What stops this configuration from serving in production mode (empty if nothing)."""
    if settings.DEBUG or settings.AFTERSALES_DEMO:
        return []
    found = []
    key = settings.SECRET_KEY
    if key == DEVELOPMENT_KEY or len(key) < MIN_KEY_LENGTH or len(set(key)) < 5:
        found.append(
            f"AFTERSALES_SECRET_KEY must be set to a random key of at least {MIN_KEY_LENGTH} "
            "characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    hosts = os.environ.get("AFTERSALES_ALLOWED_HOSTS", "").strip()
    if not hosts or "*" in settings.ALLOWED_HOSTS:
        found.append(
            "AFTERSALES_ALLOWED_HOSTS must list the host names the site answers to "
            "(comma-separated, no '*')."
        )
    return found


def refuse_unsafe_start() -> None:
    """Raise ImproperlyConfigured naming every missing setting, before anything is served."""
    found = problems()
    if found:
        raise ImproperlyConfigured(
            "Production mode (AFTERSALES_DEBUG and AFTERSALES_DEMO unset) refuses to start: "
            + " ".join(found)
            + " For the demo, set AFTERSALES_DEMO=1."
        )

"""The webhook dispatcher's settings, each read from Django's settings as
`AFTERSALES_WEBHOOK_<NAME>` or, when the settings do not name it, from the environment
variable of the same name (so a deployment sets them without editing settings.py)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings


def webhook_setting(name: str, default: Any) -> Any:
    key = f"AFTERSALES_WEBHOOK_{name}"
    value = getattr(settings, key, None)
    if value is None:
        value = os.environ.get(key)
    return default if value is None else value

"""/healthz (the process answers), /readyz (the database answers and is migrated), /metrics.

/metrics is for the monitoring host only: from an address in AFTERSALES_METRICS_ALLOWED_IPS
(default loopback) or with `Authorization: Bearer <AFTERSALES_METRICS_TOKEN>`. A request that
came through a proxy (X-Forwarded-For or X-Real-IP present) has the proxy's address, not the
client's, so for it only the token counts.
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from aftersales.ops import metrics
from aftersales.ops.queues import QueueDepths

log = logging.getLogger("aftersales.ops")

READY_TIMEOUT_SECONDS = 2  # libpq's connect_timeout has a 2 s floor
_migrated = False  # once the schema is current it stays so for this process's code


def _allowed_ips() -> set[str]:
    raw = getattr(settings, "AFTERSALES_METRICS_ALLOWED_IPS", None)
    if raw is None:
        raw = os.environ.get("AFTERSALES_METRICS_ALLOWED_IPS", "127.0.0.1,::1")
    return {ip.strip() for ip in raw.split(",") if ip.strip()}


def _token() -> str:
    return getattr(settings, "AFTERSALES_METRICS_TOKEN", None) or os.environ.get(
        "AFTERSALES_METRICS_TOKEN", ""
    )


def metrics_allowed(request: HttpRequest) -> bool:
    token = _token()
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    proxied = "X-Forwarded-For" in request.headers or "X-Real-IP" in request.headers
    return not proxied and request.META.get("REMOTE_ADDR") in _allowed_ips()


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return JsonResponse(
            {"error": {"code": "forbidden", "message": "Metrics are not public.", "field": None}},
            status=403,
        )
    body = metrics.render(scrape_time=[QueueDepths()])
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def probe_settings() -> dict[str, Any]:
    """The default database's settings with a short connect and statement timeout."""
    config = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    options = dict(config.get("OPTIONS") or {})
    if config["ENGINE"].endswith("postgresql"):
        options["connect_timeout"] = READY_TIMEOUT_SECONDS
        options["options"] = f"-c statement_timeout={READY_TIMEOUT_SECONDS * 1000}"
    else:
        options["timeout"] = READY_TIMEOUT_SECONDS
        options.pop("init_command", None)  # a probe sets no journal mode
    config["OPTIONS"] = options
    config["CONN_MAX_AGE"] = 0
    return config


def readiness() -> tuple[bool, str]:
    """(ready, reason): the database answers within the timeout and has no pending migration.
    The probe uses its own short-lived connection, so a hung request's connection or a
    default without timeouts cannot hang it."""
    global _migrated
    config = probe_settings()
    probe = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias="readyz")
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
            if not _migrated:
                pending = _unapplied_migrations(cursor)
                if pending:
                    return False, f"{len(pending)} migrations not applied, e.g. {pending[0]}"
                _migrated = True
    except (DatabaseError, OSError) as error:  # not answering is not ready; the reason says how
        log.warning("readiness probe failed: %r", error)
        return False, f"database unreachable: {type(error).__name__}"
    finally:
        probe.close()
    return True, "ok"


def _unapplied_migrations(cursor: Any) -> list[str]:
    """The migrations on disk that the database has not recorded, read with the probe's own
    cursor (Django's recorder would use a registered connection without our timeouts)."""
    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    try:
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = {(app, name) for app, name in cursor.fetchall()}
    except DatabaseError:  # an empty database has no django_migrations table yet
        applied = set()
    return sorted(f"{app}.{name}" for app, name in on_disk - applied)


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    ready, reason = readiness()
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "reason": reason},
        status=200 if ready else 503,
    )

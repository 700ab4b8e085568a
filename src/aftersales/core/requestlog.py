"""Request ids, structured JSON logs and server errors that can be traced.

Every response carries X-Request-ID (the proxy's, when it sent a plausible one); every log line
written while a request is handled names that id and the actor; a server error is logged with
its traceback and answered with the id, so that a user's report leads to the log line."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

log = logging.getLogger("aftersales.request")

# What Django's exception handler turns into a 4xx itself (django.core.handlers.exception).
_ANSWERED_BY_DJANGO = (
    Http404,
    PermissionDenied,
    BadRequest,
    SuspiciousOperation,
    MultiPartParserError,
)

HEADER = "X-Request-ID"
_PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "aftersales_request", default=None
)


def request_id_for(request: HttpRequest) -> str:
    incoming = request.headers.get(HEADER, "")
    return incoming if _PLAUSIBLE_ID.fullmatch(incoming) else uuid.uuid4().hex


def actor_of(request: HttpRequest) -> str:
    """Who made the request: the API's bearer user, else the session's user, else "-"."""
    for who in (getattr(request, "auth", None), getattr(request, "user", None)):
        if who is not None and getattr(who, "is_authenticated", False):
            return str(who.get_username())
    return "-"


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request_id_for(request)  # type: ignore[attr-defined]
        started = time.perf_counter()
        reset = _current.set(request)
        try:
            response = self.get_response(request)
            response[HEADER] = request.request_id  # type: ignore[attr-defined]
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _current.reset(reset)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG or isinstance(exception, _ANSWERED_BY_DJANGO):
            return None  # Django's debug page, or its 4xx for these
        request_id = getattr(request, "request_id", "-")
        log.error("Server error: %s", exception, exc_info=exception, extra={"status": 500})
        message = _("Something went wrong on our side; quote request id %(id)s if you report it.")
        message %= {"id": request_id}
        if request.path.startswith("/api/"):
            body = {
                "error": {
                    "code": "server_error",
                    "message": message,
                    "field": None,
                    "request_id": request_id,
                }
            }
            return JsonResponse(body, status=500)
        try:
            return render(request, "500.html", {"request_id": request_id}, status=500)
        except Exception:  # the page itself may need what just failed (the database)
            log.exception("The error page could not be rendered")
            return HttpResponse(message, status=500, content_type="text/plain; charset=utf-8")


class RequestContextFilter(logging.Filter):
    """Adds request_id, actor, method and path of the request being handled to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _current.get()
        if request is not None:
            record.request_id = getattr(request, "request_id", None)
            record.actor = actor_of(request)
            record.method = request.method
            record.path = request.path
        return True


_FIELDS = ("request_id", "actor", "method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's fields when
    there is one, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)

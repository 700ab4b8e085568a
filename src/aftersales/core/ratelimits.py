"""Rate limits (django-ratelimit, counted in the shared cache) and token scopes for the API.

Limits are requests per minute from settings.AFTERSALES_RATE_LIMITS: per client address on
every API call, then per bearer token (writes and reads apart), and per address on the web
sign-in. A refusal is 429 in the API's error shape with Retry-After (docs/security.md)."""

from __future__ import annotations

import math
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from aftersales.core.auth import MAX_TOKEN_LENGTH, digest, is_read_only

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_token(request: HttpRequest) -> str:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or len(token) > MAX_TOKEN_LENGTH:
        return ""
    return token


def address_key(group: str, request: HttpRequest) -> str:
    # A WSGI server may leave REMOTE_ADDR out (a test harness, a unix socket): such requests
    # share one counter rather than fail.
    return request.META.get("REMOTE_ADDR") or "-"


def _token_key(group: str, request: HttpRequest) -> str:
    # The digest, not the token: cache keys may be seen by whoever operates the cache.
    return digest(bearer_token(request))


def retry_after(request: HttpRequest, limit: str, key: str | Callable) -> int | None:
    """Count this request against `limit` (a key of AFTERSALES_RATE_LIMITS); the seconds to
    wait if it is over, None if it may go ahead or the limit is off."""
    rate = settings.AFTERSALES_RATE_LIMITS.get(limit)
    if not rate:
        return None
    usage = get_usage(request, group=f"aftersales.{limit}", key=key, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, math.ceil(usage["time_left"]))


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "field": field}}, status=status
    )


def rate_limited(seconds: int) -> JsonResponse:
    response = _error(
        429,
        "rate_limited",
        _("Too many requests; try again in %(seconds)d seconds.") % {"seconds": seconds},
    )
    response["Retry-After"] = str(seconds)
    return response


def _api_refusal(request: HttpRequest) -> HttpResponse | None:
    wait = retry_after(request, "api_address", address_key)
    if wait is not None:
        return rate_limited(wait)
    token = bearer_token(request)
    if not token:
        return None  # the API's own 401
    writing = request.method not in SAFE_METHODS
    wait = retry_after(request, "api_write" if writing else "api_read", _token_key)
    if wait is not None:
        return rate_limited(wait)
    if writing and is_read_only(token):
        return _error(
            403,
            "forbidden_scope",
            _("This token may only read; writing needs a read-write token."),
            "Authorization",
        )
    return None


class ApiGuardMiddleware:
    """Rate limits and token scopes for /api/, before any handler runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refusal = _api_refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

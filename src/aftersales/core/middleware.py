"""Input the application must never see: NUL characters (PostgreSQL cannot store or compare
them), and API bodies that are too large, too deeply nested or not JSON at all. Each is
refused here with the API's error shape, because past this point it surfaces as a server
error (a DataError, a RecursionError, a RawPostDataException)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

# Deeper than any body the API takes (its deepest is about 4); far below Python's recursion
# limit, so neither our walk nor the API's parsing can overflow the stack.
MAX_JSON_DEPTH = 32
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class _TooDeep(Exception):
    pass


def _callers_language(request: HttpRequest) -> translation.override:
    """These answers come before LocaleMiddleware: word them in the caller's language too."""
    return translation.override(translation.get_language_from_request(request))


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "field": field}}, status=status
    )


def _contains_nul(value: Any, depth: int = 0) -> bool:
    """Whether any string in `value` has a NUL; raises _TooDeep when arrays and objects nest
    more than MAX_JSON_DEPTH levels (the outermost is level 1)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict | list) and depth >= MAX_JSON_DEPTH:
        raise _TooDeep
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v, depth + 1) for v in value)
    return False


def _parsed_json(body: bytes) -> Any:
    """The body as JSON, or None when it is not JSON (the API answers that with its own 400)."""
    try:
        return json.loads(body)
    except RecursionError as error:
        raise _TooDeep from error
    except ValueError:
        return None


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or _contains_nul(dict(request.GET.lists())):
        return True
    if request.content_type == "application/json" and request.body:
        return _contains_nul(_parsed_json(request.body))
    return _contains_nul(dict(request.POST.lists())) if request.method == "POST" else False


def _nul_response() -> JsonResponse:
    return _error(400, "invalid", _("Text may not contain NUL (U+0000) characters."))


def _too_deep_response() -> JsonResponse:
    return _error(
        400,
        "too_deeply_nested",
        _("The JSON body is nested more than %(depth)d levels deep.") % {"depth": MAX_JSON_DEPTH},
    )


def reject_nul_characters(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        with _callers_language(request):
            try:
                if _has_nul(request):
                    return _nul_response()
            except _TooDeep:
                return _too_deep_response()
        return get_response(request)

    return middleware


def _api_body_problem(request: HttpRequest) -> JsonResponse | None:
    limit: int = settings.API_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # Django reads such a body as empty
    # Refused on the declared size, before a byte is read or parsed.
    if declared > limit:
        return _error(
            413,
            "body_too_large",
            _("The request body is larger than %(limit)d bytes.") % {"limit": limit},
        )
    if declared == 0:
        return None
    if request.content_type in _FORM_TYPES:
        return _error(
            415,
            "unsupported_media_type",
            _("The API accepts JSON bodies only (Content-Type: application/json)."),
            "Content-Type",
        )
    body = request.body
    # The API parses a body as JSON whatever its declared type, so every type is checked.
    if b"\x00" in body:
        return _nul_response()
    try:
        if _contains_nul(_parsed_json(body)):
            return _nul_response()
    except _TooDeep:
        return _too_deep_response()
    return None


def guard_api_bodies(get_response: Callable[[HttpRequest], HttpResponse]):
    """Bound every body sent to /api/: its size (settings.API_MAX_BODY_BYTES), its type
    (JSON; the API takes no uploads), its nesting depth and its characters."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            with _callers_language(request):
                problem = _api_body_problem(request)
            if problem is not None:
                return problem
        return get_response(request)

    return middleware

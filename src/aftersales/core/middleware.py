"""Refuse text with NUL characters as malformed input: PostgreSQL cannot store or compare it,
and it would otherwise surface as a server error."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or _contains_nul(dict(request.GET.lists())):
        return True
    if request.content_type == "application/json" and request.body:
        try:
            return _contains_nul(json.loads(request.body))
        except ValueError:
            return False  # malformed JSON: the API's own 400
    return _contains_nul(dict(request.POST.lists())) if request.method == "POST" else False


def reject_nul_characters(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            body = {
                "error": {
                    "code": "invalid",
                    "field": None,
                    "message": _("Text may not contain NUL (U+0000) characters."),
                }
            }
            return JsonResponse(body, status=400)
        return get_response(request)

    return middleware

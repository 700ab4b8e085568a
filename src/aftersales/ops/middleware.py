"""Request latency by route: the URL pattern a request resolved to, so that
/api/v1/cases/AS1/… and /api/v1/cases/AS2/… are one series, and unknown paths one more."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from aftersales.ops import metrics

UNRESOLVED = "<unresolved>"  # 404s for paths no pattern matched: one series, not one per path


def request_metrics(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else UNRESOLVED
        method = request.method if request.method in _METHODS else "other"
        metrics.observe_request(
            method=method,
            route=route,
            status_code=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response

    return middleware


# A method outside these would add a series per made-up verb.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

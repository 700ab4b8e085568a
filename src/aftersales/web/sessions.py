"""Shorter sessions for staff: agents and administrators act for the platform and on money,
so their sign-in lasts a shift (AFTERSALES_STAFF_SESSION_SECONDS) wherever they signed in (the
consoles or the admin site); everyone else keeps Django's SESSION_COOKIE_AGE."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

STAFF_ROLES = frozenset({"agent", "admin"})
_MARK = "_session_expiry"  # Django's own key: present once an expiry was set for this session


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view, so that the sign-in itself is covered; the session middleware saves.
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and (getattr(user, "role", "") in STAFF_ROLES or user.is_staff)
            and _MARK not in request.session
        ):
            request.session.set_expiry(settings.AFTERSALES_STAFF_SESSION_SECONDS)
        return response

"""Request types of the consoles, for the type checker: signed-in user, htmx details."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from aftersales.core.models import User


class AuthedRequest(HttpRequest):
    user: User  # type: ignore[assignment]  # views behind login_required/role_required
    htmx: HtmxDetails

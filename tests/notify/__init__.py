"""Tests of the notify domain: every party's inbox and the signed webhook outbox."""

from __future__ import annotations

from typing import Any

from aftersales.core.models import User
from aftersales.notify.models import Notification


def inbox(caller: Any, **params: Any) -> dict[str, Any]:
    """`caller`'s inbox through the API, which must answer 200."""
    response = caller.get("/me/notifications", **params)
    assert response.status_code == 200, response.content
    return response.json()


def stored(user: User) -> list[tuple[str, str, str]]:
    """The user's notifications in the database as (kind, subject_key, title), oldest first."""
    return list(
        Notification.objects.filter(recipient=user)
        .order_by("id")
        .values_list("kind", "subject_key", "title")
    )

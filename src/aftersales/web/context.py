"""Template context every console page gets: the unread count of the user's inbox."""

from __future__ import annotations

from django.http import HttpRequest

from aftersales.notify.models import Notification


def inbox(request: HttpRequest) -> dict[str, int]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_count": Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    }

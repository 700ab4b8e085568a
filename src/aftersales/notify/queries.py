"""Reads: a user's inbox and a shop's webhook endpoints and delivery log, cursor-paged."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from aftersales.catalog.models import Shop
from aftersales.core.api import decode_cursor, encode_cursor, iso
from aftersales.core.errors import BadRequest
from aftersales.core.models import User
from aftersales.notify.models import (
    DeliveryStatus,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)


def _page(rows: QuerySet, cursor: str | None, limit: int) -> tuple[list, str | None]:
    if cursor:
        rows = rows.filter(id__lt=decode_cursor("n", cursor))
    page = list(rows.order_by("-id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, encode_cursor("n", page[-1].id) if more and page else None


def notification_body(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "subject_kind": notification.subject_kind,
        "subject_key": notification.subject_key,
        "title": notification.title,
        "body": notification.body,
        "created_at": iso(notification.created_at),
        "read_at": iso(notification.read_at),
    }


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox(
    user: User, *, unread: bool = False, cursor: str | None = None, limit: int = 20
) -> dict[str, Any]:
    """The user's own notifications, newest first, and how many are unread."""
    rows = Notification.objects.filter(recipient=user)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    page, next_cursor = _page(rows, cursor, limit)
    return {
        "items": [notification_body(n) for n in page],
        "next_cursor": next_cursor,
        "unread_count": unread_count(user),
    }


def endpoint_body(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as listed: never its secret."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "event_types": endpoint.event_types,
        "active": endpoint.active,
        "created_at": iso(endpoint.created_at),
    }


def shop_endpoints(shop: Shop) -> list[dict[str, Any]]:
    return [endpoint_body(e) for e in WebhookEndpoint.objects.filter(shop=shop).order_by("id")]


def delivery_body(delivery: WebhookDelivery) -> dict[str, Any]:
    pending = delivery.status == DeliveryStatus.PENDING
    return {
        "id": delivery.id,
        "endpoint_id": delivery.endpoint_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": iso(delivery.next_attempt_at) if pending else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error or None,
        "delivered_at": iso(delivery.delivered_at),
        "created_at": iso(delivery.created_at),
    }


def shop_deliveries(
    shop: Shop, *, status: str | None = None, cursor: str | None = None, limit: int = 20
) -> dict[str, Any]:
    """The delivery log of the shop's endpoints, newest first."""
    rows = WebhookDelivery.objects.filter(endpoint__shop=shop)
    if status:
        if status not in DeliveryStatus.values:
            raise BadRequest(
                _("status must be one of: %(s)s.") % {"s": ", ".join(DeliveryStatus.values)},
                field="status",
            )
        rows = rows.filter(status=status)
    page, next_cursor = _page(rows, cursor, limit)
    return {"items": [delivery_body(d) for d in page], "next_cursor": next_cursor}

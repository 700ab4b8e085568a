"""`/api/v1/me/notifications` (every user's inbox) and `/api/v1/shops/{code}/webhooks`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field

from aftersales.catalog.api import access_shop
from aftersales.core import clock, idempotency
from aftersales.core.api import ERRORS, bounded_limit
from aftersales.notify import queries, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    subject_kind: str
    subject_key: str
    title: str
    body: str
    created_at: str
    read_at: str | None


class InboxPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class InboxFilters(Schema):
    unread: bool = False
    cursor: str | None = None
    limit: int = 20


class ReadAllOut(Schema):
    marked: int
    unread_count: int


class EndpointIn(Schema):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=500)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50)


class EndpointOut(Schema):
    id: int
    url: str
    event_types: list[str]
    active: bool
    created_at: str


class EndpointCreatedOut(EndpointOut):
    secret: str  # shown in this response only


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: str | None
    created_at: str


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class DeliveryFilters(Schema):
    status: str | None = None
    cursor: str | None = None
    limit: int = 20


@router.get("/me/notifications", response={200: InboxPage, **ERRORS})
def my_notifications(request: HttpRequest, filters: Query[InboxFilters]):
    return queries.inbox(
        request.auth,  # type: ignore[attr-defined]
        unread=filters.unread,
        cursor=filters.cursor,
        limit=bounded_limit(filters.limit),
    )


@router.post("/me/notifications/read-all", response={200: ReadAllOut, **ERRORS})
def read_all(request: HttpRequest):
    user = request.auth  # type: ignore[attr-defined]

    def handler() -> tuple[int, dict]:
        marked = services.mark_all_read(user, now=clock.now())
        return 200, {"marked": marked, "unread_count": queries.unread_count(user)}

    return Status(*idempotency.run(request, user, handler))


@router.post("/me/notifications/{notification_id}/read", response={200: NotificationOut, **ERRORS})
def read_one(request: HttpRequest, notification_id: int):
    user = request.auth  # type: ignore[attr-defined]

    def handler() -> tuple[int, dict]:
        notification = services.mark_read(user, notification_id=notification_id, now=clock.now())
        return 200, queries.notification_body(notification)

    return Status(*idempotency.run(request, user, handler))


@router.get("/shops/{code}/webhooks", response={200: list[EndpointOut], **ERRORS})
def list_endpoints(request: HttpRequest, code: str):
    return queries.shop_endpoints(access_shop(request.auth, code))  # type: ignore[attr-defined]


@router.post("/shops/{code}/webhooks", response={201: EndpointCreatedOut, **ERRORS})
def create_endpoint(request: HttpRequest, code: str, payload: EndpointIn):
    user = request.auth  # type: ignore[attr-defined]
    shop = access_shop(user, code)

    def handler() -> tuple[int, dict]:
        endpoint = services.create_endpoint(
            shop=shop, url=payload.url, event_types=payload.event_types, now=clock.now()
        )
        return 201, {**queries.endpoint_body(endpoint), "secret": endpoint.secret}

    # The secret is answered once: the idempotency record keeps the answer without it.
    return Status(*idempotency.run(request, user, handler, secret_fields=("secret",)))


@router.get("/shops/{code}/webhooks/deliveries", response={200: DeliveryPage, **ERRORS})
def list_deliveries(request: HttpRequest, code: str, filters: Query[DeliveryFilters]):
    shop = access_shop(request.auth, code)  # type: ignore[attr-defined]
    return queries.shop_deliveries(
        shop, status=filters.status, cursor=filters.cursor, limit=bounded_limit(filters.limit)
    )

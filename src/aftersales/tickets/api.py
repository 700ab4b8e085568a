"""`/api/v1/tickets`: the same conventions as `/cases`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from aftersales.core.api import (
    ERRORS,
    bounded_limit,
    parse_if_match,
    versioned_write,
    with_etag,
)
from aftersales.tickets import queries, services
from aftersales.tickets.access import access_ticket

router = Router(tags=["tickets"])


class TicketIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    type: str = Field(min_length=1, max_length=16)
    subtype: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    order_sn: str | None = Field(default=None, max_length=64)
    amount_fen: int | None = Field(default=None, ge=0, le=10**12)
    shop: str | None = Field(default=None, max_length=32)
    carrier: str | None = Field(default=None, max_length=32)
    region: str = Field(default="", max_length=40)


class TicketActionIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    body: str | None = None
    internal: bool | None = None
    from_party: str | None = None
    task_id: int | None = None
    assignee: str | None = None
    reason: str | None = None
    resolution: str | None = None
    case_type: str | None = None


class TicketFilters(Schema):
    status: str | None = None
    type: str | None = None
    escalated: bool | None = None
    cursor: str | None = None
    limit: int = 20


class TicketOut(Schema):
    ticket_no: str
    type: str
    subtype: str
    status: str
    priority: int
    title: str
    description: str
    source: str
    order_sn: str | None
    case_no: str | None
    shop: str | None
    carrier: str | None
    region: str
    amount_fen: int | None
    team: str
    assignee: str | None
    waiting_on: str | None
    escalated: bool
    version: int
    created_at: str
    updated_at: str
    first_response_at: str | None
    resolved_at: str | None
    closed_at: str | None
    resolution: str
    allowed_actions: list[str]
    tasks: list[dict[str, Any]] = []
    deadlines: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


@router.post("/tickets", response={201: TicketOut, **ERRORS})
def create_ticket(request: HttpRequest, response: HttpResponse, payload: TicketIn):
    user = request.auth  # type: ignore[attr-defined]

    def handler() -> tuple[int, dict]:
        ticket = services.create_ticket(user, **payload.model_dump())
        return 201, queries.ticket_body(ticket, user)

    return versioned_write(request, response, handler)


@router.get("/tickets", response={200: TicketPage, **ERRORS})
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]):
    return queries.list_tickets(
        request.auth,  # type: ignore[attr-defined]
        status=filters.status,
        type=filters.type,
        escalated=filters.escalated,
        cursor=filters.cursor,
        limit=bounded_limit(filters.limit),
    )


@router.get("/tickets/{ticket_no}", response={200: TicketOut, **ERRORS})
def get_ticket(request: HttpRequest, response: HttpResponse, ticket_no: str):
    user = request.auth  # type: ignore[attr-defined]
    return with_etag(response, queries.ticket_body(access_ticket(user, ticket_no), user))


@router.post("/tickets/{ticket_no}/actions/{action}", response={200: TicketOut, **ERRORS})
def take_action(
    request: HttpRequest,
    response: HttpResponse,
    ticket_no: str,
    action: str,
    payload: TicketActionIn | None = None,
):
    user = request.auth  # type: ignore[attr-defined]
    fields = payload.model_dump(exclude_unset=True) if payload else {}
    expected_version = parse_if_match(request)

    def handler() -> tuple[int, dict]:
        ticket = services.perform(
            user,
            ticket_no=ticket_no,
            action=action,
            fields=fields,
            expected_version=expected_version,
        )
        return 200, queries.ticket_body(ticket, user)

    return versioned_write(request, response, handler)

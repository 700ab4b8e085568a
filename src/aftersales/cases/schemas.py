"""API schemas for cases (spec/api.md)."""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Schema
from pydantic import ConfigDict, Field


class ClaimIn(Schema):
    """An order item the request concerns; `quantity` defaults to every unit left."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sku: str = Field(min_length=1, max_length=64)
    quantity: int | None = Field(default=None, ge=1, le=100_000)


class CaseCreateIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    order_sn: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=16)
    reason: str = Field(min_length=1, max_length=20)
    description: str = Field(default="", max_length=2000)
    amount_fen: int | None = Field(default=None, gt=0, le=10**12)
    # Omitted: every item of the order not yet refunded (for repair, its repairable items).
    items: list[ClaimIn] | None = Field(default=None, min_length=1, max_length=50)


class ActionIn(Schema):
    """Every field any action takes; each action accepts only its own (spec: Action fields)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    return_address: str | None = None
    reason: str | None = None
    # Evidence is a handful of photos or attachment ids (a consumer app allows nine).
    evidence: list[Annotated[str, Field(max_length=500)]] | None = Field(default=None, max_length=9)
    carrier: str | None = None
    tracking_no: str | None = None
    return_shipping_fen: int | None = None
    result: str | None = None
    report: str | None = None
    terms: str | None = None
    amount_fen: int | None = None
    description: str | None = None
    remaining_hours: int | None = None
    outcome: str | None = None
    note: str | None = None
    return_goods: bool | None = None


class DeadlineOut(Schema):
    name: str
    due_at: str
    default_action: str
    rule: str


class EventOut(Schema):
    seq: int
    at: str
    actor: str
    action: str
    data: dict[str, Any]
    hash: str


class CaseOut(Schema):
    case_no: str
    order_sn: str
    shop: str
    type: str
    status: str
    pdd_status: int
    reason: str
    description: str
    amount_fen: int
    refunded_fen: int
    recommended_outcome: str | None
    return_address: str | None
    version: int
    created_at: str
    updated_at: str
    deadlines: list[DeadlineOut]
    allowed_actions: list[str]
    events: list[EventOut]


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None

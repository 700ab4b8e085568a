"""Composing the assistant's replies: the reply a turn returns, and the words for a case, a
parcel, a list to choose from and a refusal. Reads the database, never writes it; the
sentences themselves are in `replies`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aftersales.assistant import orders, replies
from aftersales.assistant.kb import Hit
from aftersales.cases.models import Case
from aftersales.cases.presentation import DEFAULT_OUTCOME_LABELS, STATUS_LABELS
from aftersales.core.clock import platform_zone
from aftersales.core.errors import DomainError
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.orders.models import Order


@dataclass
class Reply:
    text: str
    intent: str
    confidence: float
    slots: dict[str, Any]
    emotion: int
    actions: list[dict[str, Any]] = field(default_factory=list)
    handed_over: bool = False
    article: str | None = None


def _local(instant: dt.datetime) -> str:
    return instant.astimezone(platform_zone()).strftime("%m月%d日 %H:%M")


def describe_case(case: Case) -> str:
    """A case's status and next deadline in plain words."""
    deadline = (
        Deadline.objects.filter(
            subject_kind="case", subject_id=case.id, status=DeadlineStatus.PENDING
        )
        .order_by("due_at")
        .first()
    )
    if deadline:
        outcome = str(DEFAULT_OUTCOME_LABELS.get(deadline.action, deadline.action))
        next_step = replies.NEXT_DEADLINE.format(due=_local(deadline.due_at), outcome=outcome)
    elif case.status == "refunded":
        next_step = replies.REFUNDED.format(amount=f"{case.refunded_fen / 100:.2f}")
    else:
        next_step = replies.NO_DEADLINE
    return replies.CASE_STATUS.format(
        case_no=case.case_no,
        type_name=replies.TYPE_NAMES[case.type],
        status=str(STATUS_LABELS.get(case.status, case.status)),
        next_step=next_step,
    )


def case_created(case: Case) -> str:
    """The case just filed, with its next step (the status sentence without its first part)."""
    status = describe_case(case)
    next_step = status.split("。", 1)[1] if "。" in status else ""
    return replies.CASE_CREATED.format(
        type_name=replies.TYPE_NAMES[case.type], case_no=case.case_no, next_step=next_step
    )


def shipping_state(order: Order) -> str:
    if order.received_at:
        return replies.DELIVERED.format(received=_local(order.received_at))
    if order.shipped_at:
        return replies.IN_TRANSIT.format(
            carrier=order.carrier.name if order.carrier else "快递",
            tracking=order.tracking_no or "—",
            shipped=_local(order.shipped_at),
        )
    return replies.NOT_SHIPPED


def order_choices(candidates: Iterable[Order]) -> str:
    """A numbered list of orders to answer "which one?" with."""
    return "\n".join(f"{i}. {o.order_sn} {orders.title_of(o)}" for i, o in enumerate(candidates, 1))


def case_choices(candidates: Iterable[Case], *, with_status: bool) -> str:
    """A numbered list of cases to answer "which one?" with."""
    return "\n".join(
        f"{i}. {c.case_no} {replies.TYPE_NAMES[c.type]}"
        + (f" {STATUS_LABELS.get(c.status, c.status)}" if with_status else "")
        for i, c in enumerate(candidates, 1)
    )


def from_article(reply: Reply, hit: Hit) -> None:
    """Answer with a knowledge-base article's summary, naming the article."""
    reply.text = replies.FROM_ARTICLE.format(answer=hit.article.summary, title=hit.article.title)
    reply.article = hit.article.slug


def ticket_refused(error: DomainError, order_sn: str) -> str:
    """Why a logistics ticket was not opened, in the consumer's words and with what they can
    do instead. An order that has not shipped has no parcel to chase: the shop can be urged,
    or the consumer may ask for a refund-only request (both things the assistant does)."""
    if error.code == "not_shipped":
        return replies.TICKET_NOT_SHIPPED.format(order_sn=order_sn)
    return replies.TICKET_REFUSED.format(order_sn=order_sn, reason=error.message)

"""Reads of cases: the case body of spec/api.md, the filtered, cursor-paged list, the
consoles' search and a requester's other cases."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from aftersales.cases import engine
from aftersales.cases.access import party_of, visible_cases
from aftersales.cases.models import Case
from aftersales.cases.workflows import CASE_TYPES
from aftersales.core.api import decode_cursor, encode_cursor, iso
from aftersales.core.errors import BadRequest
from aftersales.core.models import Event, Role, User
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.orders import phones
from aftersales.orders.models import OrderItem

# Case, order and waybill numbers: a short letter prefix (AS, SF, JDV…), then digits.
_NUMBER = re.compile(r"^[A-Za-z]{0,4}[0-9][0-9-]{5,}$")


def _deadline_body(deadline: Deadline) -> dict[str, Any]:
    return {
        "name": deadline.name,
        "due_at": iso(deadline.due_at),
        "default_action": deadline.action,
        "rule": deadline.rule,
    }


def _event_body(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "data": event.data,
        "hash": event.hash,
    }


def case_body(
    case: Case,
    user: User,
    *,
    deadlines: Iterable[Deadline] | None = None,
    events: Iterable[Event] | None = None,
) -> dict[str, Any]:
    if deadlines is None:
        deadlines = Deadline.objects.filter(
            subject_kind="case", subject_id=case.id, status=DeadlineStatus.PENDING
        ).order_by("due_at")
    if events is None:
        events = Event.objects.filter(subject_kind="case", subject_key=case.case_no).order_by("seq")
    return {
        "case_no": case.case_no,
        "order_sn": case.order.order_sn,
        "shop": case.shop.code,
        "type": case.type,
        "status": case.status,
        "pdd_status": case.pdd_status,
        "reason": case.reason,
        "description": case.description,
        "amount_fen": case.amount_fen,
        "refunded_fen": case.refunded_fen,
        "recommended_outcome": case.recommended_outcome or None,
        "return_address": case.return_address or None,
        "version": case.version,
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "deadlines": [_deadline_body(d) for d in deadlines],
        "allowed_actions": engine.allowed_actions(case, party_of(user, case)),
        "events": [_event_body(e) for e in events],
    }


def get_case_body(user: User, case: Case) -> dict[str, Any]:
    return case_body(case, user)


def list_cases(
    user: User,
    *,
    status: str | None = None,
    type: str | None = None,
    shop: str | None = None,
    updated_after: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    cases: QuerySet[Case] = visible_cases(user)
    if status:
        cases = cases.filter(status=status)
    if type:
        if type not in CASE_TYPES:
            raise BadRequest(
                _("type must be one of: %(t)s.") % {"t": ", ".join(CASE_TYPES)}, field="type"
            )
        cases = cases.filter(type=type)
    if shop:
        cases = cases.filter(shop__code=shop)
    if updated_after:
        if updated_after.tzinfo is None:
            raise BadRequest(_("updated_after needs a time zone offset."), field="updated_after")
        cases = cases.filter(updated_at__gt=updated_after)
    if cursor:
        cases = cases.filter(id__lt=decode_cursor("c", cursor))
    page = list(cases.select_related("shop", "order").order_by("-id")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    ids = [c.id for c in page]
    pending: dict[int, list[Deadline]] = defaultdict(list)
    for deadline in Deadline.objects.filter(
        subject_kind="case", subject_id__in=ids, status=DeadlineStatus.PENDING
    ).order_by("due_at"):
        pending[deadline.subject_id].append(deadline)
    history: dict[str, list[Event]] = defaultdict(list)
    for event in Event.objects.filter(
        subject_kind="case", subject_key__in=[c.case_no for c in page]
    ).order_by("seq"):
        history[event.subject_key].append(event)
    return {
        "items": [
            case_body(c, user, deadlines=pending[c.id], events=history[c.case_no]) for c in page
        ],
        "next_cursor": encode_cursor("c", page[-1].id) if more and page else None,
    }


def search_cases(cases: QuerySet[Case], text: str) -> QuerySet[Case]:
    """The cases of `cases` (already narrowed by the access gate) that `text` finds.

    A number finds its case, its order, the receiver's phone (however it is typed), or a
    waybill of the order, of the return or of the parcel sent back, exactly; any other text
    finds a buyer by account name or part of their name and a product by part of its title.
    Each way of matching is its own lookup and the scope keeps the union of their ids, so a
    number costs index lookups and a text one pass over user names and item titles, never a
    join per case of the scope."""
    text = text.strip()
    if not text:
        return cases
    found = [
        Case.objects.filter(case_no=text),
        Case.objects.filter(order__order_sn=text),
        Case.objects.filter(order__tracking_no=text),
        Case.objects.filter(return_tracking_no=text),
        Case.objects.filter(outbound_tracking_no=text),
        Case.objects.filter(consumer__username=text),
    ]
    phone = phones.normalise(text)
    if phone:
        found.append(Case.objects.filter(order__phone=phone))
    if not _NUMBER.match(text):
        buyers = User.objects.filter(role=Role.CONSUMER, display_name__icontains=text)
        products = OrderItem.objects.filter(title__icontains=text)
        found += [
            Case.objects.filter(consumer_id__in=buyers.values("id")),
            Case.objects.filter(order_id__in=products.values("order_id")),
        ]
    ids = [lookup.order_by().values("id") for lookup in found]
    return cases.filter(id__in=ids[0].union(*ids[1:]))


def other_cases_of_requesters(
    cases: Iterable[Case], *, per_requester: int = 8
) -> dict[int, tuple[list[Case], int]]:
    """For each case of `cases` (by id): its consumer's other cases, newest first (at most
    `per_requester`), and how many other cases they have in all. Two queries for a page."""
    cases = list(cases)
    consumer_ids = {case.consumer_id for case in cases}
    if not consumer_ids:
        return {}
    theirs = Case.objects.filter(consumer_id__in=consumer_ids)
    totals = dict(
        theirs.order_by()
        .values("consumer_id")
        .annotate(n=Count("id"))
        .values_list("consumer_id", "n")
    )
    # One more than shown: the case the panel stands beside is among each consumer's newest.
    newest = (
        theirs.select_related("shop")
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("consumer_id")], order_by=F("id").desc())
        )
        .filter(rank__lte=per_requester + 1)
        .order_by("consumer_id", "-id")
    )
    by_consumer: dict[int, list[Case]] = defaultdict(list)
    for other in newest:
        by_consumer[other.consumer_id].append(other)
    return {
        case.id: (
            [other for other in by_consumer[case.consumer_id] if other.id != case.id][
                :per_requester
            ],
            totals.get(case.consumer_id, 1) - 1,
        )
        for case in cases
    }

"""Tests of the public HTTP contract, version 1 (spec/api.md), and shared helpers."""

from __future__ import annotations

from typing import Any

from aftersales.cases.models import Case
from aftersales.core.models import Event
from aftersales.ledger.models import EntryKind, LedgerEntry


def assert_error(
    response: Any,
    status: int,
    *,
    code: str,
    field: str | None,
    message: str | None = None,
    message_starts: str | None = None,
    rule: str | None = None,
) -> None:
    """The response is exactly the contract's error: `{"error": {"code", "message", "field"}}`
    (plus `rule` when the error names the rule it applies).

    `message` is compared exactly; `message_starts` is for messages worded by the validation
    library, whose tail is not ours to pin."""
    assert (message is None) != (message_starts is None), "give message or message_starts"
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    actual = body["error"]["message"] if set(body) == {"error"} else None
    if message_starts is not None:
        assert isinstance(actual, str) and actual.startswith(message_starts), actual
        message = actual
    expected: dict[str, Any] = {"code": code, "message": message, "field": field}
    if rule is not None:
        expected["rule"] = rule
    assert body == {"error": expected}


def file_case(
    caller: Any,
    order: Any,
    *,
    type: str = "refund_only",
    reason: str = "quality",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """`caller` files a case on `order` through the API; returns the 201 case body."""
    response = caller.post(
        "/cases",
        {"order_sn": order.order_sn, "type": type, "reason": reason, **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.content
    return response.json()


def act(caller: Any, case_no: str, action: str, body: Any = None, **kw: Any) -> dict[str, Any]:
    """`caller` takes `action`, which must succeed; returns the 200 case body."""
    response = caller.act(case_no, action, body, **kw)
    assert response.status_code == 200, response.content
    return response.json()


def events_of(case_no: str) -> list[str]:
    """The actions recorded in the case's event log, in order."""
    return list(
        Event.objects.filter(subject_kind="case", subject_key=case_no)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def refund_entries(case_no: str) -> list[tuple[str, int]]:
    """The refund ledger entries of a case as (account, signed amount)."""
    entries = LedgerEntry.objects.filter(case__case_no=case_no, kind=EntryKind.REFUND)
    return sorted(("shop" if e.shop_id else "consumer", e.amount_fen) for e in entries)


def db_case(case_no: str) -> Case:
    return Case.objects.get(case_no=case_no)

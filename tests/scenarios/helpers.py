"""Small helpers for the scenario tests: instants in Shanghai, API shortcuts, money reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftersales.cases.models import Case
from aftersales.core.models import Event
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.ledger.models import Coupon, LedgerEntry
from aftersales.ledger.services import shop_balance
from tests.factories import SHANGHAI

SHIP = {"carrier": "sf", "tracking_no": "SF1234567890"}
REPORT = "品牌检测报告：主板进水，不在保修范围"
OPENING_BALANCE_FEN = 100_000  # ShopFactory's deposit


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> dt.datetime:
    """An instant on the Shanghai wall clock."""
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=SHANGHAI)


def end_of_day(year: int, month: int, day: int) -> dt.datetime:
    return at(year, month, day, 23, 59, 59, 999999)


def iso(instant: dt.datetime) -> str:
    """How the API writes an instant: ISO 8601 with the +08:00 offset."""
    return instant.astimezone(SHANGHAI).isoformat()


def received_order(market: Any, received_at: dt.datetime, **kw: Any) -> Any:
    """An order paid and shipped before `received_at`."""
    return market.order(
        paid_at=received_at - dt.timedelta(days=3),
        shipped_at=received_at - dt.timedelta(days=2),
        created_at=received_at - dt.timedelta(days=3),
        received_at=received_at,
        **kw,
    )


def open_case(
    market: Any, order: Any = None, *, type: str, reason: str = "quality", **extra: Any
) -> dict[str, Any]:
    """The consumer files a case through the API; returns the 201 body."""
    order = order or market.order()
    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": type, "reason": reason, **extra}
    )
    assert response.status_code == 201, response.json()
    return response.json()


def act(
    caller: Any, case_no: str, action: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A successful action (200); returns the case body."""
    response = caller.act(case_no, action, body or {})
    assert response.status_code == 200, (action, response.json())
    return response.json()


def refused(
    caller: Any, case_no: str, action: str, body: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    """An action that must fail: (HTTP status, error body)."""
    response = caller.act(case_no, action, body or {})
    assert response.status_code >= 400, (action, response.json())
    return response.status_code, response.json()["error"]


def view(market: Any, case_no: str) -> dict[str, Any]:
    response = market.agent.get(f"/cases/{case_no}")
    assert response.status_code == 200, response.json()
    return response.json()


def deadline(name: str, due_at: dt.datetime, default_action: str, rule: str) -> dict[str, str]:
    """A pending deadline as the case body shows it."""
    return {"name": name, "due_at": iso(due_at), "default_action": default_action, "rule": rule}


def fire_at(travel: Any, instant: dt.datetime) -> int:
    """Travel to `instant` and run one sweep pass; returns how many deadlines fired."""
    travel.to(instant)
    return sweep().fired


def fire_after(travel: Any, due_at: dt.datetime) -> dt.datetime:
    """Nothing fires a microsecond before `due_at`; the deadline fires once the period is
    over (one microsecond after). Returns the firing instant."""
    assert fire_at(travel, due_at - dt.timedelta(microseconds=1)) == 0
    fired_at = due_at + dt.timedelta(microseconds=1)
    assert fire_at(travel, fired_at) == 1
    return fired_at


def timer_event(
    name: str, due_at: dt.datetime, action: str, rule: str, source: str, target: str, **data: Any
) -> dict[str, Any]:
    """The (actor, action, data) of an event a fired timer appends: `rule` is the timer's own
    rule (its row in the workflow table), and `due_at` is written in Shanghai time (+08:00)."""
    return {
        "actor": "system",
        "action": action,
        "data": {
            "from": source,
            "to": target,
            "rule": rule,
            **data,
            "deadline": name,
            "due_at": iso(due_at),
        },
    }


def last_event(case: dict[str, Any]) -> dict[str, Any]:
    event = case["events"][-1]
    return {"actor": event["actor"], "action": event["action"], "data": event["data"]}


def event_count(case_no: str) -> int:
    return Event.objects.filter(subject_kind="case", subject_key=case_no).count()


def pending_deadlines(case_no: str) -> list[str]:
    case_id = Case.objects.get(case_no=case_no).id
    return list(
        Deadline.objects.filter(
            subject_kind="case", subject_id=case_id, status=DeadlineStatus.PENDING
        ).values_list("name", flat=True)
    )


def ledger(case_no: str) -> list[tuple[str, str, int]]:
    """The case's ledger entries as (kind, account, signed amount), in write order."""
    return [
        (e.kind, "shop" if e.shop_id else "consumer", e.amount_fen)
        for e in LedgerEntry.objects.filter(case__case_no=case_no).order_by("id")
    ]


def coupons(case_no: str) -> list[tuple[int, str]]:
    return [(c.amount_fen, c.rule) for c in Coupon.objects.filter(case__case_no=case_no)]


def balance(shop: Any) -> int:
    return shop_balance(shop.id)


def case_row(case_no: str) -> Case:
    return Case.objects.get(case_no=case_no)


# How a case reaches each status through people's actions: (party, action, body) steps.
REASONS = {
    "refund_only": "not_received",
    "return_refund": "quality",
    "exchange": "quality",
    "resend": "missing_item",
    "repair": "faulty",
}
AGREE = ("merchant", "agree", {})
REFUSE = ("merchant", "refuse", {"reason": "商品无质量问题"})
SHIP_RETURN = ("consumer", "ship_return", SHIP)
INSPECT_FAILS = ("merchant", "inspect", {"result": "fails", "report": REPORT})
PATHS: dict[str, dict[str, list[tuple[str, str, dict[str, Any]]]]] = {
    "refund_only": {
        "awaiting_merchant": [],
        "refused": [REFUSE],
    },
    "return_refund": {
        "awaiting_merchant": [],
        "awaiting_return": [AGREE],
        "return_in_transit": [AGREE, SHIP_RETURN],
        "refused": [REFUSE],
    },
    "exchange": {
        "awaiting_merchant": [],
        "awaiting_return": [AGREE],
        "return_in_transit": [AGREE, SHIP_RETURN],
        "replacement_shipped": [AGREE, SHIP_RETURN, ("merchant", "ship_replacement", SHIP)],
        "refused": [REFUSE],
    },
    "resend": {
        "awaiting_merchant": [],
        "awaiting_resend": [AGREE],
        "resend_shipped": [AGREE, ("merchant", "ship_resend", SHIP)],
        "refused": [REFUSE],
    },
    "repair": {
        "awaiting_merchant": [],
        "awaiting_return": [AGREE],
        "inspecting": [AGREE, SHIP_RETURN],
        "repairing": [AGREE, SHIP_RETURN, ("merchant", "inspect", {"result": "meets"})],
        "repaired_shipped": [
            AGREE,
            SHIP_RETURN,
            ("merchant", "inspect", {"result": "meets"}),
            ("merchant", "ship_repaired", SHIP),
        ],
        "inspection_failed": [AGREE, SHIP_RETURN, INSPECT_FAILS],
        "returning_unrepaired": [
            AGREE,
            SHIP_RETURN,
            INSPECT_FAILS,
            ("consumer", "accept_result", {}),
        ],
        "unrepaired_shipped": [
            AGREE,
            SHIP_RETURN,
            INSPECT_FAILS,
            ("consumer", "accept_result", {}),
            ("merchant", "ship_back", SHIP),
        ],
        "negotiated": [
            AGREE,
            SHIP_RETURN,
            INSPECT_FAILS,
            ("consumer", "negotiate", {"terms": "用户付费维修 100 元"}),
        ],
        "returning_after_cancel": [
            AGREE,
            SHIP_RETURN,
            ("merchant", "inspect", {"result": "meets"}),
            ("consumer", "cancel", {}),
        ],
        "platform_review": [REFUSE],
    },
}


def case_in(
    market: Any, type: str, status: str, order: Any = None, **create: Any
) -> dict[str, Any]:
    """A new case of `type` driven through the API to `status`; returns its body."""
    create.setdefault("reason", REASONS[type])
    case = open_case(market, order, type=type, **create)
    for party, action, body in PATHS[type][status]:
        case = act(getattr(market, party), case["case_no"], action, body)
    assert case["status"] == status
    return case

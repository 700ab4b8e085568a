"""Named guards and effects that workflow tables refer to.

An effect changes the case (the engine saves it), writes money through the ledger, and adds
what it did to the event's data. Effects run inside the engine's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from aftersales.cases import claims, policy
from aftersales.cases.models import Case, Reason
from aftersales.catalog.models import Carrier
from aftersales.core.errors import Conflict, RuleViolation
from aftersales.core.money import yuan
from aftersales.deadlines import services as deadlines
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.ledger import services as ledger
from aftersales.notify import services as notify
from aftersales.orders.models import Order


class MoneyAlreadyReturned(Exception):
    """The items' money went back through another case: the case closes instead (services)."""


@dataclass
class ActionContext:
    case: Case
    fields: dict[str, Any]
    now: dt.datetime
    rule: str
    data: dict[str, Any] = field(default_factory=dict)


GUARDS: dict[str, tuple[Callable[[Case], bool], str]] = {
    # name: (condition, message when it fails)
    "not_signed": (
        lambda case: case.signed_at is None,
        gettext_noop("The returned item is already signed for."),
    ),
    "signed": (
        lambda case: case.signed_at is not None,
        gettext_noop("The returned item is not signed for yet."),
    ),
    "no_offer_yet": (
        lambda case: case.offers_made == 0,
        gettext_noop("The merchant has already made an offer on this request."),
    ),
    "offer_keeps_goods": (
        lambda case: not case.offer_return_goods,
        gettext_noop("This offer has the goods sent back first."),
    ),
    "offer_returns_goods": (
        lambda case: case.offer_return_goods,
        gettext_noop("This offer lets the consumer keep the goods."),
    ),
    "return_not_shipped": (
        lambda case: case.return_shipped_at is None,
        gettext_noop("The return has been shipped; the request can no longer be cancelled."),
    ),
}


def _carrier(code: str) -> str:
    if not Carrier.objects.filter(code=code).exists():
        raise RuleViolation(
            _("Unknown carrier %(c)s.") % {"c": code}, code="unknown_carrier", field="carrier"
        )
    return code


def intercept_unshipped(ctx: ActionContext) -> None:
    order = Order.objects.get(id=ctx.case.order_id)
    if order.shipped_at is None and order.shipment_intercepted_at is None:
        order.shipment_intercepted_at = ctx.now
        order.save(update_fields=["shipment_intercepted_at"])
        ctx.data["shipment_intercepted"] = True


def set_return_address(ctx: ActionContext) -> None:
    address = ctx.fields.get("return_address") or ctx.case.shop.return_address
    ctx.case.return_address = address
    ctx.data["return_address"] = address


def record_return_shipment(ctx: ActionContext) -> None:
    case = ctx.case
    if (
        ctx.fields.get("return_shipping_fen", 0) > 0
        and case.reason == Reason.NO_REASON
        and not policy.value("no_reason_return_shipping_paid_by_merchant")
    ):
        raise RuleViolation(
            _(
                "For a seven-day no-reason return the consumer bears the return shipping "
                "(Consumer Rights Protection Law art. 25); leave the shipping fee empty."
            ),
            code="return_shipping_not_refundable",
            field="return_shipping_fen",
            rule="CRPL art. 25",
        )
    case.return_carrier = _carrier(ctx.fields["carrier"])
    case.return_tracking_no = ctx.fields["tracking_no"]
    case.return_shipping_fen = ctx.fields.get("return_shipping_fen", 0)
    case.return_shipped_at = ctx.now
    case.repair_period_start = ctx.now


def record_outbound_shipment(ctx: ActionContext) -> None:
    ctx.case.outbound_carrier = _carrier(ctx.fields["carrier"])
    ctx.case.outbound_tracking_no = ctx.fields["tracking_no"]


def sign(ctx: ActionContext) -> None:
    """The merchant signs for the returned item (or is deemed to, 2.3) and bears the consumer's
    return shipping (2.5)."""
    case = ctx.case
    if case.signed_at is not None:
        return
    case.signed_at = ctx.now
    ctx.data["signed"] = True
    if case.return_shipping_fen > 0:
        charge = ledger.return_shipping(case=case, amount_fen=case.return_shipping_fen, now=ctx.now)
        ctx.data["return_shipping_fen"] = case.return_shipping_fen
        _charged(ctx, charge, "return_shipping")


def record_inspection(ctx: ActionContext) -> None:
    result = ctx.fields["result"]
    if result == "fails" and not ctx.fields.get("report"):
        raise RuleViolation(
            _("An inspection that fails needs the inspection report (rule 2.3.2)."),
            code="report_required",
            field="report",
            rule="2.3.2",
        )
    ctx.case.inspection_result = result
    ctx.case.inspection_report = ctx.fields.get("report", "")


def record_negotiation(ctx: ActionContext) -> None:
    amount = ctx.fields.get("amount_fen")
    if amount is not None and amount > ctx.case.amount_fen:
        raise RuleViolation(
            _("amount_fen may not exceed the case amount."),
            code="amount_too_large",
            field="amount_fen",
        )
    ctx.case.negotiated_terms = ctx.fields["terms"]
    ctx.case.negotiated_amount_fen = amount


def record_refusal(ctx: ActionContext) -> None:
    pass  # reason and evidence travel in the event's data


def record_reapplication(ctx: ActionContext) -> None:
    if ctx.fields.get("description"):
        ctx.case.description = ctx.fields["description"]


REFUNDING_OUTCOMES = ("refund", "refund_with_compensation", "partial_refund")


def record_ruling(ctx: ActionContext) -> None:
    outcome = ctx.fields["outcome"]
    if "amount_fen" in ctx.fields and outcome not in REFUNDING_OUTCOMES:
        raise RuleViolation(
            _("amount_fen is only for refunding rulings."),
            code="amount_not_allowed",
            field="amount_fen",
        )
    if outcome == "partial_refund" and "amount_fen" not in ctx.fields:
        raise RuleViolation(
            _("A partial refund needs amount_fen."), code="amount_required", field="amount_fen"
        )
    ctx.data["recommended_outcome"] = ctx.case.recommended_outcome or None
    if outcome not in REFUNDING_OUTCOMES:
        if "return_goods" in ctx.fields:
            raise RuleViolation(
                _("Whether the goods go back is only for refunding rulings."),
                code="return_goods_not_allowed",
                field="return_goods",
            )
        return
    case = ctx.case
    goods_with_consumer = case.type == "return_refund" and case.return_shipped_at is None
    if goods_with_consumer and "return_goods" not in ctx.fields:
        raise RuleViolation(
            _("Say whether the consumer sends the goods back before the refund, or keeps them."),
            code="return_goods_required",
            field="return_goods",
            rule="2.7",
        )
    amount = ctx.fields.get("amount_fen", case.amount_fen)
    if amount < case.amount_fen:
        ctx.data["partial"] = True  # the timeline and the status say "partly refunded"
    if goods_with_consumer and ctx.fields.get("return_goods"):
        ctx.data["goods"] = "return_first"
    elif case.return_shipped_at is not None:
        ctx.data["goods"] = "with_merchant"
    else:
        ctx.data["goods"] = "kept_by_consumer"


def hold_ruled_amount(ctx: ActionContext) -> None:
    """A ruling that has the goods sent back first keeps its amount for the refund."""
    amount = ctx.fields.get("amount_fen", ctx.case.amount_fen)
    if amount > ctx.case.amount_fen:
        raise RuleViolation(
            _("The amount may not exceed ¥%(y)s, the amount of this request.")
            % {"y": yuan(ctx.case.amount_fen)},
            code="amount_too_large",
            field="amount_fen",
        )
    ctx.case.ruled_amount_fen = amount


def refund(ctx: ActionContext) -> None:
    """Refund once: the case's amount unless a ruling or an accepted offer names another
    (never more, and never more than its items still carry after other cases)."""
    case = ctx.case
    amount = ctx.fields.get("amount_fen", case.ruled_amount_fen or case.amount_fen)
    if amount > case.amount_fen:
        raise RuleViolation(
            _("The amount may not exceed ¥%(y)s, the amount of this request.")
            % {"y": yuan(case.amount_fen)},
            code="amount_too_large",
            field="amount_fen",
        )
    if case.refunded_fen:
        raise Conflict(_("This case has already been refunded."), code="already_refunded")
    # Serialise refunds of one order: other cases may have refunded its items meanwhile.
    order = Order.objects.select_for_update().get(id=case.order_id)
    room = claims.refundable_now(case, order)
    if room == 0:
        raise MoneyAlreadyReturned
    if amount > room:  # only cases filed before claims were per item can get here
        amount = room
        ctx.data["capped_by_earlier_refunds"] = True
    charge = ledger.refund(case=case, amount_fen=amount, now=ctx.now)
    _charged(ctx, charge, "refund")
    claims.record_refund(case, amount)
    case.refunded_fen = amount
    ctx.data["refund_fen"] = amount
    if amount < case.amount_fen:
        ctx.data["partial"] = True  # less than asked: the status says "partly refunded"


def compensate(ctx: ActionContext) -> None:
    """Rule 2.6: a coupon of min(30% of the order amount, 5000 fen), charged to the shop."""
    order_amount = Order.objects.values_list("amount_fen", flat=True).get(id=ctx.case.order_id)
    coupon, charge = ledger.compensate(
        case=ctx.case, order_amount_fen=order_amount, rule=ctx.rule, now=ctx.now
    )
    ctx.data["compensation_fen"] = coupon.amount_fen
    _charged(ctx, charge, "compensation")


def _charged(ctx: ActionContext, charge: ledger.Charge, what: str) -> None:
    """A charge the sales balance did not cover is recorded on the event, and the shop and
    the platform are warned (rules 2.5/2.6: deducted from 货款, then 保证金)."""
    if not charge.needs_warning:
        return
    ctx.data.setdefault("shop_charges", {})[what] = charge.as_data()
    notify.shop_balance_warning(ctx.case, charge=charge, what=what, now=ctx.now)


def record_offer(ctx: ActionContext) -> None:
    """The merchant's counter-offer: less money, or the money without the goods back."""
    case = ctx.case
    amount = ctx.fields["amount_fen"]
    return_goods = ctx.fields.get("return_goods", False)
    if return_goods and case.type != "return_refund":
        raise RuleViolation(
            _("Only a return can have the goods sent back."),
            code="return_goods_not_allowed",
            field="return_goods",
        )
    if amount > case.amount_fen:
        raise RuleViolation(
            _("The amount may not exceed ¥%(y)s, the amount of this request.")
            % {"y": yuan(case.amount_fen)},
            code="amount_too_large",
            field="amount_fen",
        )
    asks_goods_back = case.type == "return_refund"
    if amount == case.amount_fen and return_goods == asks_goods_back:
        raise RuleViolation(
            _("This is what the consumer asked for: agree to the request instead."),
            code="offer_same_as_request",
            field="amount_fen",
        )
    case.offer_amount_fen = amount
    case.offer_return_goods = return_goods
    case.offers_made += 1
    ctx.data["goods"] = "return_first" if return_goods else "kept_by_consumer"
    if amount < case.amount_fen:
        ctx.data["partial"] = True


def take_offer(ctx: ActionContext) -> None:
    """The consumer accepts: the offered amount is what the case refunds."""
    ctx.case.ruled_amount_fen = ctx.case.offer_amount_fen
    ctx.data["amount_fen"] = ctx.case.offer_amount_fen


def restart_repair_period(ctx: ActionContext) -> None:
    ctx.case.repair_period_start = ctx.now  # ⚙ the 20 days count the ruling day


def shorten_merchant_deadline(ctx: ActionContext) -> None:
    """Rule 2.2: the platform may shorten the merchant's limit, never below 24 hours left."""
    remaining = ctx.fields["remaining_hours"]
    floor = policy.value("shortened_deadline_floor_hours")
    if remaining < floor:
        raise RuleViolation(
            _("The remaining time must be at least %(n)d hours (rule 2.2).") % {"n": floor},
            code="deadline_too_short",
            field="remaining_hours",
            rule="2.2",
        )
    pending = (
        Deadline.objects.select_for_update()
        .filter(
            subject_kind="case",
            subject_id=ctx.case.id,
            status=DeadlineStatus.PENDING,
            name="merchant_response_deadline",
        )
        .first()
    )
    if pending is None:
        raise Conflict(_("There is no pending merchant deadline."), code="no_deadline")
    new_due = ctx.now + dt.timedelta(hours=remaining)
    if new_due >= pending.due_at:
        raise RuleViolation(
            _("The new deadline must be earlier than the current one."),
            code="deadline_not_shorter",
            field="remaining_hours",
            rule="2.2",
        )
    ctx.data["previous_due_at"] = pending.due_at.isoformat()
    ctx.data["due_at"] = new_due.isoformat()
    deadlines.reschedule(pending, due_at=new_due)


EFFECTS: dict[str, Callable[[ActionContext], None]] = {
    fn.__name__: fn
    for fn in (
        intercept_unshipped,
        set_return_address,
        record_return_shipment,
        record_outbound_shipment,
        sign,
        record_inspection,
        record_negotiation,
        record_refusal,
        record_reapplication,
        record_ruling,
        hold_ruled_amount,
        record_offer,
        take_offer,
        refund,
        compensate,
        restart_repair_period,
        shorten_merchant_deadline,
    )
}

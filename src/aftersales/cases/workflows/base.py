"""The vocabulary of a declarative workflow: statuses, transitions, timers.

A workflow module is a table meant to be read beside its rule text. The engine
(`cases/engine.py`) is the only interpreter of these tables; nothing else decides whether a
move is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from aftersales.core.periods import Period, hours

Party = Literal["consumer", "merchant", "agent", "system"]

CONSUMER: tuple[Party, ...] = ("consumer",)
MERCHANT: tuple[Party, ...] = ("merchant",)
AGENT: tuple[Party, ...] = ("agent",)
# A timer fires the same action a person would take, as the `system` actor.
MERCHANT_OR_SYSTEM: tuple[Party, ...] = ("merchant", "system")
CONSUMER_OR_SYSTEM: tuple[Party, ...] = ("consumer", "system")
SYSTEM: tuple[Party, ...] = ("system",)

TERMINAL = ("refunded", "completed", "cancelled", "closed", "expired")
PLATFORM_REVIEW = "platform_review"


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str | None  # None: the case stays where it is (and keeps its timers)
    by: tuple[Party, ...]
    rule: str
    # Only fields with these values select this transition (e.g. inspect result=meets).
    when: dict[str, str | bool] = field(default_factory=dict)
    guard: str | None = None  # a named condition on the case (cases/effects.py GUARDS)
    effects: tuple[str, ...] = ()  # named effects (cases/effects.py EFFECTS), in order
    recommend: str | None = None  # the outcome recommended to the agent in platform_review
    pdd: int | None = None  # PDD code of the target when it differs from the status's own


@dataclass(frozen=True)
class Timer:
    in_status: str
    after: Period
    fire: str  # the action taken by `system` when the timer runs out
    rule: str
    name: str
    params: dict[str, str] = field(default_factory=dict)
    # What the period counts from: entering the status, or a date the case records
    # (rule 2.3.1 counts the repair period from the consumer's return upload).
    anchor: Literal["entered", "repair_period_start"] = "entered"


@dataclass(frozen=True)
class Workflow:
    type: str
    pdd_type: int
    statuses: dict[str, int]  # status → PDD after_sales_status
    transitions: tuple[Transition, ...]
    timers: tuple[Timer, ...]

    def transitions_for(self, action: str, source: str) -> list[Transition]:
        return [t for t in self.transitions if t.action == action and t.source == source]

    def actions(self) -> set[str]:
        return {t.action for t in self.transitions}

    def parties_for(self, action: str) -> set[str]:
        return {p for t in self.transitions if t.action == action for p in t.by}

    def timers_in(self, status: str) -> list[Timer]:
        return [t for t in self.timers if t.in_status == status]

    def is_terminal(self, status: str) -> bool:
        return status in TERMINAL

    def settled_elsewhere(self, status: str) -> Transition:
        """The move that ends a case whose items' money another case already returned."""
        return next(
            t for t in self.transitions if t.action == "close_settled" and t.source == status
        )


RULING_OUTCOMES = ("refund", "refund_with_compensation", "partial_refund", "reject")


def consumer_cancel(sources: Iterable[str], rule: str = "common") -> tuple[Transition, ...]:
    return tuple(Transition("cancel", s, "cancelled", CONSUMER, rule) for s in sources)


OFFER_PENDING = "offer_pending"


def counter_offer(type_name: str, *, with_return: bool) -> tuple[tuple[Transition, ...], Timer]:
    """The merchant's counter-offer (⚙, as on Pinduoduo's 协商): instead of agreeing or
    refusing, the merchant offers a smaller refund, or a refund without sending the goods
    back. The consumer accepts (refunded, or the goods go back first) or declines, and the
    request returns to the merchant's queue under a fresh deadline; silence declines, so an
    unanswered offer never costs the consumer the request. One offer per case."""
    moves = [
        Transition(
            "offer",
            "awaiting_merchant",
            OFFER_PENDING,
            MERCHANT,
            f"{type_name} ⚙ counter-offer",
            guard="no_offer_yet",
            effects=("record_offer",),
        ),
        Transition(
            "accept_offer",
            OFFER_PENDING,
            "refunded",
            CONSUMER,
            f"{type_name} ⚙ counter-offer accepted",
            guard="offer_keeps_goods",
            effects=("take_offer", "refund"),
        ),
        Transition(
            "decline_offer",
            OFFER_PENDING,
            "awaiting_merchant",
            CONSUMER_OR_SYSTEM,
            f"{type_name} ⚙ counter-offer declined",
            effects=("record_refusal",),
        ),
    ]
    if with_return:
        moves.append(
            Transition(
                "accept_offer",
                OFFER_PENDING,
                "awaiting_return",
                CONSUMER,
                f"{type_name} ⚙ counter-offer accepted",
                guard="offer_returns_goods",
                effects=("take_offer", "set_return_address"),
            )
        )
    timer = Timer(
        OFFER_PENDING,
        hours(48, setting="offer_response_hours"),
        "decline_offer",
        f"{type_name} ⚙ counter-offer 48 h",
        "offer_response_deadline",
    )
    return tuple(moves), timer


def money_returned_elsewhere(statuses: Iterable[str]) -> tuple[Transition, ...]:
    """One claim per item: when a refund finds the items' money already returned by another
    case, the case closes with that reason instead of failing (taken by the engine in place of
    the refunding move, whoever triggered it)."""
    return tuple(
        Transition("close_settled", s, "closed", SYSTEM, "common: one claim per item")
        for s in statuses
        if s not in TERMINAL
    )


def rulings_with_return(
    *, target: str = "awaiting_return", guard: str = "return_not_shipped"
) -> tuple[Transition, ...]:
    """A refunding ruling that first has the goods sent back (`return_goods: true`): the case
    waits for the return with the ruled amount held, and refunds it when the merchant confirms
    the goods (2.7). Listed before the plain rulings, which refund at once."""
    effects = {
        "refund": ("record_ruling", "hold_ruled_amount", "set_return_address"),
        "partial_refund": ("record_ruling", "hold_ruled_amount", "set_return_address"),
        "refund_with_compensation": (
            "record_ruling",
            "hold_ruled_amount",
            "set_return_address",
            "compensate",
        ),
    }
    return tuple(
        Transition(
            "rule",
            PLATFORM_REVIEW,
            target,
            AGENT,
            "2.7",
            when={"outcome": outcome, "return_goods": True},
            guard=guard,
            effects=steps,
        )
        for outcome, steps in effects.items()
    )


def platform_intervention(
    statuses: Iterable[str],
    *,
    extra_rulings: dict[str, tuple[str, tuple[str, ...]]] | None = None,
    closed_pdd: int = 9,
) -> tuple[Transition, ...]:
    """`intervene` from any open status, and the agent's rulings in platform_review (2.7).

    `extra_rulings` maps an outcome to (target status, effects) for type-specific rulings such
    as repair's `repair` and `exchange`.
    """
    moves = [
        Transition("intervene", s, PLATFORM_REVIEW, AGENT, "2.7")
        for s in statuses
        if s != PLATFORM_REVIEW and s not in TERMINAL
    ]
    rulings: dict[str, tuple[str, tuple[str, ...]]] = {
        "refund": ("refunded", ("refund",)),
        "refund_with_compensation": ("refunded", ("refund", "compensate")),
        "partial_refund": ("refunded", ("refund",)),
        "reject": ("closed", ()),
        **(extra_rulings or {}),
    }
    for outcome, (target, effects) in rulings.items():
        moves.append(
            Transition(
                "rule",
                PLATFORM_REVIEW,
                target,
                AGENT,
                "2.7",
                when={"outcome": outcome},
                effects=("record_ruling", *effects),
                pdd=closed_pdd if target == "closed" else None,
            )
        )
    return tuple(moves)


# Fields each action accepts (spec/workflows.md "Action fields"); anything else gets 400.
ACTION_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # action: (required, optional)
    "agree": (frozenset(), frozenset({"return_address"})),
    "refuse": (frozenset({"reason"}), frozenset({"evidence"})),
    "refuse_return": (frozenset({"reason"}), frozenset({"evidence"})),
    "ship_return": (frozenset({"carrier", "tracking_no"}), frozenset({"return_shipping_fen"})),
    "ship_repaired": (frozenset({"carrier", "tracking_no"}), frozenset()),
    "ship_back": (frozenset({"carrier", "tracking_no"}), frozenset()),
    "ship_replacement": (frozenset({"carrier", "tracking_no"}), frozenset()),
    "ship_resend": (frozenset({"carrier", "tracking_no"}), frozenset()),
    "inspect": (frozenset({"result"}), frozenset({"report", "evidence"})),
    "negotiate": (frozenset({"terms"}), frozenset({"amount_fen"})),
    # A consumer's request for intervention says why (the agent rules on it).
    "request_intervention": (frozenset({"reason"}), frozenset()),
    "report_problem": (frozenset(), frozenset({"reason"})),
    "report_breach": (frozenset(), frozenset({"reason"})),
    "report_not_received": (frozenset(), frozenset({"reason"})),
    "cancel": (frozenset(), frozenset({"reason"})),
    "confirm_receipt": (frozenset(), frozenset()),
    "confirm_return": (frozenset(), frozenset()),
    "confirm_received": (frozenset(), frozenset()),
    "accept_result": (frozenset(), frozenset()),
    "fulfil": (frozenset(), frozenset()),
    "reapply": (frozenset(), frozenset({"description"})),
    "shorten_deadline": (frozenset({"remaining_hours"}), frozenset()),
    "intervene": (frozenset({"reason"}), frozenset()),
    # A ruling gives its reason (`note`); `return_goods` says whether the goods go back first.
    "rule": (frozenset({"outcome", "note"}), frozenset({"amount_fen", "return_goods"})),
    # Actions only timers take (the system's default outcomes).
    "expire": (frozenset(), frozenset()),
    "complete": (frozenset(), frozenset()),
    "timeout_refund": (frozenset(), frozenset()),
    "escalate": (frozenset(), frozenset()),
    "close_settled": (frozenset(), frozenset()),
    # The merchant's counter-offer and the consumer's answer.
    "offer": (frozenset({"amount_fen", "note"}), frozenset({"return_goods"})),
    "accept_offer": (frozenset(), frozenset()),
    "decline_offer": (frozenset(), frozenset({"reason"})),
}

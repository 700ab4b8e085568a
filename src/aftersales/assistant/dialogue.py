"""The dialogue manager: one consumer message in, one reply out.

It recognises the intent and slots, keeps what the conversation is about (its order and case,
and any question it is waiting on), acts through the same services as the consoles (after a
confirmation turn), answers from the knowledge base naming the article, and hands over to a
person with the context when asked, when the consumer is angry or distressed, on complaints,
and when it fails to understand twice.

This module decides what a turn means and what to ask next; `actions` does what the consumer
confirmed and `composition` words the reply. `Reply`, `describe_case` and `shipping_state`
are importable from here as before.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from aftersales.assistant import composition, emotion, intents, orders, replies, slots
from aftersales.assistant.actions import Actions
from aftersales.assistant.composition import Reply, describe_case, shipping_state
from aftersales.assistant.kb import knowledge_base
from aftersales.assistant.models import Conversation
from aftersales.cases.models import Case
from aftersales.core.models import User
from aftersales.orders.models import Order

__all__ = ["Dialogue", "Reply", "describe_case", "shipping_state"]

LOW_CONFIDENCE = 0.35
YES = re.compile(
    r"^(确认|确定|是的?|好的?|对|嗯+|可以|行|ok|yes|提交|没问题|申请吧?)[!！。.]*$", re.IGNORECASE
)
NO = re.compile(r"^(不|不用|算了|取消|不要|no|否|先不)", re.IGNORECASE)

# Intent → (case type, reason) for requests the assistant files.
CASE_INTENTS = {
    "refund_request": ("refund_only", "other"),
    "return_request": ("return_refund", "quality"),
    "exchange_request": ("exchange", "wrong_item"),
    "repair_request": ("repair", "faulty"),
    "missing_item": ("resend", "missing_item"),
}
# "How is my repair going?" asks for the status of a request already filed, whatever the
# request type the words name.
PROGRESS_WORDS = ("进度", "怎么样了", "什么情况", "到哪一步", "处理了吗", "处理得怎么样", "进展")
CANCEL_WORDS = ("撤", "取消", "不要了", "算了", "不退了", "不修了", "不换了")
NO_REASON_WORDS = ("无理由", "不想要", "不喜欢", "不合适", "不要了", "拍错", "买错", "不需要")


class Dialogue:
    def __init__(self, conversation: Conversation, consumer: User, now: dt.datetime):
        self.conversation = conversation
        self.consumer = consumer
        self.now = now
        self.state: dict[str, Any] = dict(conversation.state or {})
        self.actions = Actions(conversation, consumer, now)

    # ---- entry point -------------------------------------------------------------------
    def handle(self, text: str) -> Reply:
        prediction = intents.model().predict(text)
        found = slots.extract(text, now=self.now)
        anger = emotion.score(text)
        reply = Reply(
            text="",
            intent=prediction.intent,
            confidence=prediction.confidence,
            slots=found.as_dict(),
            emotion=anger,
        )
        if found.order_sn:
            self.state["order_sn"] = found.order_sn
        if found.case_no:
            self.state["case_no"] = found.case_no

        pending = self.state.get("pending")
        if pending and self._answers_pending(text, found, pending, reply):
            return self._finish(reply)

        if prediction.intent == "human_agent":
            return self._finish(self.actions.hand_over(reply, "asked_for_person", priority=2))
        if anger >= emotion.HANDOVER_SCORE:
            return self._finish(self.actions.hand_over(reply, "angry", priority=1))
        if self._asks_status(text, found, prediction.intent):
            if prediction.intent not in CASE_INTENTS:
                reply.intent = "refund_progress"
            self.state["misunderstood"] = 0
            self._report_case(found, reply)
            return self._finish(reply)
        if prediction.intent == "complaint":
            return self._finish(self.actions.hand_over(reply, "complaint", priority=2))

        if prediction.confidence < LOW_CONFIDENCE and prediction.intent != "chitchat":
            self.state["misunderstood"] = self.state.get("misunderstood", 0) + 1
            if self.state["misunderstood"] >= 2:
                return self._finish(self.actions.hand_over(reply, "not_understood", priority=3))
            hit = knowledge_base().answer(text)
            if hit:
                composition.from_article(reply, hit)
            else:
                reply.text = replies.NOT_UNDERSTOOD
            return self._finish(reply)
        self.state["misunderstood"] = 0
        self._respond(text, found, reply)
        return self._finish(reply)

    @staticmethod
    def _asks_status(text: str, found: slots.Slots, intent: str) -> bool:
        """A question about a request already filed ("how is my repair going", a case
        number), whatever request type its words name, and not a cancellation."""
        if any(w in text for w in CANCEL_WORDS):
            return False
        if found.case_no:
            return True
        return any(w in text for w in PROGRESS_WORDS) and intent in (
            *CASE_INTENTS,
            "cancel_request",
            "refund_progress",
        )

    # ---- intents -------------------------------------------------------------------------
    def _respond(self, text: str, found: slots.Slots, reply: Reply) -> None:
        intent = reply.intent
        if intent in CASE_INTENTS:
            case_type, reason = CASE_INTENTS[intent]
            if case_type == "return_refund" and any(w in text for w in NO_REASON_WORDS):
                reason = "no_reason"
            self._start_case(text, found, reply, case_type, reason)
        elif intent in ("refund_progress",):
            self._report_case(found, reply)
        elif intent == "logistics_query":
            self._report_shipping(text, found, reply)
        elif intent == "logistics_exception":
            self._start_ticket(text, found, reply)
        elif intent == "urge_shipment":
            self._urge(text, found, reply)
        elif intent == "cancel_request":
            self._start_cancel(found, reply)
        elif intent == "chitchat":
            thanks = any(w in text for w in ("谢", "thank", "感谢"))
            reply.text = (
                replies.THANKS
                if thanks
                else (replies.GREETING if len(text) <= 6 else replies.CHITCHAT)
            )
        else:
            self._answer_from_policy(text, reply)

    def _answer_from_policy(self, text: str, reply: Reply) -> None:
        hit = knowledge_base().answer(text, intent=reply.intent)
        if hit is None:
            reply.text = replies.NO_ANSWER
            self.state["pending"] = {"kind": "offer_handover"}
        else:
            composition.from_article(reply, hit)

    def _pick_order(
        self, text, found, reply, *, case_type=None, reason="other", then: dict[str, Any]
    ) -> Order | None:
        order, candidates = orders.resolve_order(
            self.consumer, text, found, self.state, self.now, case_type=case_type, reason=reason
        )
        if order is not None:
            self.state["order_sn"] = order.order_sn
            return order
        if found.order_sn:
            reply.text = replies.ORDER_NOT_FOUND.format(order_sn=found.order_sn)
        elif not candidates:
            reply.text = replies.NO_ORDERS
        else:
            reply.text = replies.WHICH_ORDER.format(choices=composition.order_choices(candidates))
            self.state["pending"] = {
                "kind": "which_order",
                **then,
                "candidates": [o.order_sn for o in candidates],
            }
        return None

    def _start_case(self, text, found, reply, case_type: str, reason: str) -> None:
        then = {"next": "confirm_case", "case_type": case_type, "reason": reason}
        order = self._pick_order(text, found, reply, case_type=case_type, reason=reason, then=then)
        if order is not None:
            self._confirm_case(order, case_type, reason, reply)

    def _confirm_case(self, order: Order, case_type: str, reason: str, reply: Reply) -> None:
        refusal = orders.eligible_for(order, case_type, reason, self.now)
        if refusal:
            reply.text = replies.NOT_ELIGIBLE.format(
                order_sn=order.order_sn, reason=refusal, type_name=replies.TYPE_NAMES[case_type]
            )
            return
        reply.text = replies.CONFIRM_CASE.format(
            order_sn=order.order_sn,
            title=orders.title_of(order),
            type_name=replies.TYPE_NAMES[case_type],
        )
        self.state["pending"] = {
            "kind": "confirm_case",
            "order_sn": order.order_sn,
            "case_type": case_type,
            "reason": reason,
        }

    def _file_case(self, pending: dict, reply: Reply) -> None:
        case = self.actions.file_case(pending, reply)
        if case is not None:
            self.state["case_no"] = case.case_no

    def _report_case(self, found, reply: Reply) -> None:
        case, candidates = orders.resolve_case(self.consumer, found, self.state)
        if case is not None:
            self.state["case_no"] = case.case_no
            reply.text = describe_case(case)
            reply.actions.append({"action": "report_status", "case_no": case.case_no})
        elif candidates:
            choices = composition.case_choices(candidates, with_status=True)
            reply.text = replies.WHICH_CASE.format(choices=choices)
            self.state["pending"] = {
                "kind": "which_case",
                "next": "report",
                "candidates": [c.case_no for c in candidates],
            }
        else:
            reply.text = replies.NO_CASE

    def _report_shipping(self, text, found, reply: Reply) -> None:
        if found.case_no or (self.state.get("case_no") and not found.order_sn and "退" in text):
            self._report_case(found, reply)
            return
        order = self._pick_order(text, found, reply, then={"next": "shipping"})
        if order is not None:
            reply.text = replies.ORDER_SHIPPING.format(
                order_sn=order.order_sn, state=shipping_state(order)
            )
            reply.actions.append({"action": "report_shipping", "order_sn": order.order_sn})

    def _start_ticket(self, text, found, reply: Reply) -> None:
        subtype = (
            "lost"
            if "丢" in text
            else "signed_not_received"
            if "签收" in text
            else "no_tracking_update"
            if any(w in text for w in ("不更新", "没更新", "不动", "没动", "没变"))
            else "delayed"
        )
        order = self._pick_order(
            text, found, reply, then={"next": "confirm_ticket", "subtype": subtype}
        )
        if order is not None:
            self._confirm_ticket(order, subtype, reply)

    def _confirm_ticket(self, order: Order, subtype: str, reply: Reply) -> None:
        reply.text = replies.CONFIRM_TICKET.format(order_sn=order.order_sn)
        self.state["pending"] = {
            "kind": "confirm_ticket",
            "order_sn": order.order_sn,
            "subtype": subtype,
        }

    def _urge(self, text, found, reply: Reply) -> None:
        order = self._pick_order(text, found, reply, then={"next": "urge"})
        if order is not None:
            self.actions.urge_shipment(order, reply)

    def _start_cancel(self, found, reply: Reply) -> None:
        case, candidates = orders.resolve_case(self.consumer, found, self.state)
        if case is None and candidates:
            choices = composition.case_choices(candidates, with_status=False)
            reply.text = replies.WHICH_CASE.format(choices=choices)
            self.state["pending"] = {
                "kind": "which_case",
                "next": "cancel",
                "candidates": [c.case_no for c in candidates],
            }
        elif case is None or not case.is_open:
            reply.text = replies.NO_CASE
        else:
            self._confirm_cancel(case, reply)

    def _confirm_cancel(self, case: Case, reply: Reply) -> None:
        self.state["case_no"] = case.case_no
        reply.text = replies.CONFIRM_CANCEL.format(
            case_no=case.case_no, type_name=replies.TYPE_NAMES[case.type]
        )
        self.state["pending"] = {"kind": "confirm_cancel", "case_no": case.case_no}

    # ---- pending questions -----------------------------------------------------------------
    def _answers_pending(self, text: str, found, pending: dict, reply: Reply) -> bool:
        """True when the message answered the question we asked (and we replied)."""
        kind = pending["kind"]
        stripped = text.strip()
        if kind.startswith("confirm_") or kind == "offer_handover":
            if YES.match(stripped):
                self.state.pop("pending")
                {
                    "confirm_case": self._file_case,
                    "confirm_ticket": self.actions.open_ticket,
                    "confirm_cancel": self.actions.cancel_case,
                    "offer_handover": lambda p, r: self.actions.hand_over(
                        r, "no_answer", priority=3
                    ),
                }[kind](pending, reply)
                return True
            if NO.match(stripped):
                self.state.pop("pending")
                reply.text = replies.DECLINED
                return True
            self.state.pop("pending")  # a new question: forget the old one
            return False
        if kind in ("which_order", "which_case"):
            choice = None
            if kind == "which_order" and found.order_sn:
                # A number typed here must still be one of the consumer's own orders.
                if not Order.objects.filter(
                    consumer=self.consumer, order_sn=found.order_sn
                ).exists():
                    self.state.pop("pending")
                    reply.text = replies.ORDER_NOT_FOUND.format(order_sn=found.order_sn)
                    return True
                choice = found.order_sn
            choice = choice or orders.pick_from_list(text, pending["candidates"])
            if choice is None and kind == "which_order":
                named = slots.mentioned_titles(
                    text,
                    {
                        o.order_sn: orders.title_of(o)
                        for o in Order.objects.filter(
                            consumer=self.consumer, order_sn__in=pending["candidates"]
                        )
                    },
                )
                choice = named[0] if len(named) == 1 else None
            if choice is None:
                self.state.pop("pending")
                return False
            self.state.pop("pending")
            self._continue_with(kind, choice, pending, reply)
            return True
        self.state.pop("pending", None)
        return False

    def _continue_with(self, kind: str, choice: str, pending: dict, reply: Reply) -> None:
        if kind == "which_case":
            case = Case.objects.get(consumer=self.consumer, case_no=choice)
            self.state["case_no"] = case.case_no
            if pending["next"] == "cancel":
                self._confirm_cancel(case, reply)
            else:
                reply.text = describe_case(case)
                reply.actions.append({"action": "report_status", "case_no": case.case_no})
            return
        order = Order.objects.get(consumer=self.consumer, order_sn=choice)
        self.state["order_sn"] = order.order_sn
        step = pending["next"]
        if step == "confirm_case":
            self._confirm_case(order, pending["case_type"], pending["reason"], reply)
        elif step == "confirm_ticket":
            self._confirm_ticket(order, pending["subtype"], reply)
        elif step == "urge":
            self.actions.urge_shipment(order, reply)
        else:
            reply.text = replies.ORDER_SHIPPING.format(
                order_sn=order.order_sn, state=shipping_state(order)
            )

    def _finish(self, reply: Reply) -> Reply:
        self.conversation.state = self.state
        return reply

"""What the assistant does for a consumer, through the same services as the consoles: file a
case, open a logistics ticket, urge the shop, withdraw a case, hand the chat to a person.

Each action writes its answer into the turn's `Reply` and records what it did in
`reply.actions`. A refusal by the case or ticket services (a `DomainError`) is answered in
words the consumer can act on, not raised: the chat always gets a reply.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftersales.assistant import composition, emotion, replies
from aftersales.assistant.composition import Reply
from aftersales.assistant.handover import hand_over
from aftersales.assistant.models import Conversation
from aftersales.cases import services as case_services
from aftersales.cases.models import Case
from aftersales.core.errors import DomainError
from aftersales.core.models import User
from aftersales.orders.models import Order
from aftersales.tickets import services as ticket_services


class Actions:
    def __init__(self, conversation: Conversation, consumer: User, now: dt.datetime):
        self.conversation = conversation
        self.consumer = consumer
        self.now = now

    def file_case(self, pending: dict[str, Any], reply: Reply) -> Case | None:
        """File the confirmed request; the case, or None when the case services refused."""
        try:
            case = case_services.create_case(
                self.consumer,
                order_sn=pending["order_sn"],
                type=pending["case_type"],
                reason=pending["reason"],
                description="通过智能助手提交",
                now=self.now,
            )
        except DomainError as error:
            reply.text = replies.NOT_ELIGIBLE.format(
                order_sn=pending["order_sn"],
                reason=error.message,
                type_name=replies.TYPE_NAMES[pending["case_type"]],
            )
            return None
        reply.text = composition.case_created(case)
        reply.actions.append(
            {
                "action": "create_case",
                "case_no": case.case_no,
                "type": case.type,
                "order_sn": pending["order_sn"],
            }
        )
        return case

    def open_ticket(self, pending: dict[str, Any], reply: Reply) -> None:
        """Open the confirmed logistics ticket, or say why not (an order not yet shipped has
        no parcel to chase) and what the consumer can do instead."""
        try:
            ticket = ticket_services.create_ticket(
                self.consumer,
                type="logistics",
                subtype=pending["subtype"],
                order_sn=pending["order_sn"],
                title="物流异常（智能助手提交）",
                description=self._transcript_tail(),
                now=self.now,
            )
        except DomainError as error:
            reply.text = composition.ticket_refused(error, pending["order_sn"])
            return
        reply.text = replies.TICKET_CREATED.format(ticket_no=ticket.ticket_no)
        reply.actions.append({"action": "create_ticket", "ticket_no": ticket.ticket_no})

    def urge_shipment(self, order: Order, reply: Reply) -> None:
        """Ask the shop to ship (an inquiry ticket), unless the order has already shipped."""
        if order.shipped_at:
            reply.text = replies.ALREADY_SHIPPED.format(
                order_sn=order.order_sn, state=composition.shipping_state(order)
            )
            return
        ticket = ticket_services.create_ticket(
            self.consumer,
            type="inquiry",
            subtype="urge_shipment",
            order_sn=order.order_sn,
            title="买家催发货",
            description=self._transcript_tail(),
            now=self.now,
        )
        reply.text = replies.URGED.format(ticket_no=ticket.ticket_no)
        reply.actions.append({"action": "urge_shipment", "ticket_no": ticket.ticket_no})

    def cancel_case(self, pending: dict[str, Any], reply: Reply) -> None:
        """Withdraw the confirmed case, or say why the case services refused."""
        try:
            case_services.perform_action(
                self.consumer,
                case_no=pending["case_no"],
                action="cancel",
                fields_in={},
                now=self.now,
            )
        except DomainError as error:
            reply.text = replies.CANCEL_REFUSED.format(
                case_no=pending["case_no"], reason=error.message
            )
            return
        reply.text = replies.CASE_CANCELLED.format(case_no=pending["case_no"])
        reply.actions.append({"action": "cancel_case", "case_no": pending["case_no"]})

    def hand_over(self, reply: Reply, reason: str, *, priority: int) -> Reply:
        """Queue the chat for a person (at the highest priority when the consumer is angry)
        and tell the consumer so."""
        if reply.emotion >= emotion.HANDOVER_SCORE:
            priority = 1
        hand_over(self.conversation, reason=reason, priority=priority, now=self.now)
        reply.handed_over = True
        reply.text = (
            replies.HANDOVER_ANGRY
            if reason == "angry"
            else replies.HANDOVER.format(priority=f"P{priority}")
        )
        reply.actions.append({"action": "hand_over", "reason": reason, "priority": priority})
        return reply

    def _transcript_tail(self) -> str:
        texts = list(
            self.conversation.messages.filter(sender="consumer")
            .order_by("-id")
            .values_list("text", flat=True)[:5]
        )
        return "\n".join(reversed(texts))

"""Demo tickets and chats: logistics tickets worked by shop and carrier, a
quality ticket, complaints, a monitoring pass and a chat handed over to an agent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aftersales.assistant import services as assistant_services
from aftersales.core import clock
from aftersales.core.models import User
from aftersales.demo.data import CARRIER_DESKS
from aftersales.orders.models import Order
from aftersales.tickets import monitoring
from aftersales.tickets import services as tickets


@dataclass
class TicketSummary:
    tickets: int


def load(now: dt.datetime | None = None) -> TicketSummary:
    """Tickets over the loaded demo marketplace; its carriers' desks (loader.py) work them."""
    now = now or clock.now()
    in_transit = list(
        Order.objects.filter(
            shipped_at__isnull=False,
            received_at__isnull=True,
            carrier__code__in=CARRIER_DESKS,
            cases=None,
        )
        .select_related("consumer", "shop", "carrier")
        .order_by("id")[:4]
    )
    received = list(
        Order.objects.filter(received_at__isnull=False, cases=None)
        .select_related("consumer", "shop")
        .order_by("-received_at")[:3]
    )
    count = 0
    with clock.frozen_at(now - dt.timedelta(hours=30)):
        for order, subtype, title in zip(
            in_transit,
            ("lost", "no_tracking_update", "signed_not_received", "delayed"),
            (
                "快递一直没到，客服说可能丢件了",
                "物流四天没有更新",
                "显示已签收但我没收到",
                "说好三天到，现在一周了",
            ),
            strict=False,
        ):
            ticket = tickets.create_ticket(
                order.consumer,
                type="logistics",
                subtype=subtype,
                order_sn=order.order_sn,
                title=title,
            )
            count += 1
            if subtype == "no_tracking_update" and order.carrier is not None:
                desk = User.objects.get(username=CARRIER_DESKS[order.carrier.code])
                task = ticket.tasks.get(party="carrier")
                tickets.perform(
                    desk,
                    ticket_no=ticket.ticket_no,
                    action="complete_task",
                    fields={"task_id": task.id, "body": "包裹在转运中心滞留，已安排加急派送"},
                )
        if received:
            order = received[0]
            tickets.create_ticket(
                order.consumer,
                type="quality",
                subtype="damaged",
                order_sn=order.order_sn,
                title="收到时外包装破损，商品有裂痕",
            )
            count += 1
        if len(received) > 1:
            tickets.create_ticket(
                received[1].consumer,
                type="complaint",
                subtype="service_attitude",
                order_sn=received[1].order_sn,
                title="客服态度很差，问了三次都不回复",
            )
            count += 1
    count += len(monitoring.run(now))
    if len(received) > 2:
        consumer = received[2].consumer
        conversation, _reply = assistant_services.post_message(
            consumer, text=f"订单{received[2].order_sn}到底怎么回事", now=now
        )
        assistant_services.post_message(
            consumer,
            text="等了一个星期了！！太气人了😡 我要投诉你们",
            now=now,
            conversation_id=conversation.public_id,
        )
    return TicketSummary(tickets=count)

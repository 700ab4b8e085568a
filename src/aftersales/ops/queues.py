"""Queue depths, counted when Prometheus scrapes, from partial or leading-column indexes."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from aftersales.cases.models import Case
from aftersales.core import clock
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.notify.models import DeliveryStatus, WebhookDelivery


class QueueDepths(Collector):
    def collect(self):  # type: ignore[no-untyped-def]
        now = clock.now()
        due = Deadline.objects.filter(status=DeadlineStatus.PENDING, due_at__lt=now)
        depth = GaugeMetricFamily(
            "aftersales_queue_depth", "Work waiting now, by queue.", labels=["queue"]
        )
        # Each COUNT reads one index: deadline_due_pending, the deliveries' pending index,
        # case_status.
        depth.add_metric(["deadlines_due"], due.count())
        depth.add_metric(
            ["webhook_deliveries_pending"],
            WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count(),
        )
        depth.add_metric(
            ["cases_awaiting_merchant"],
            Case.objects.filter(status="awaiting_merchant").count(),
        )
        yield depth
        # Lateness as it grows, also when no worker is running to observe it when firing.
        oldest = due.order_by("due_at", "id").values_list("due_at", flat=True).first()
        yield GaugeMetricFamily(
            "aftersales_deadline_oldest_due_seconds",
            "How long the oldest due, unfired deadline has been due (0 when none).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )

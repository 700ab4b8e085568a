"""Tickets feed the parties' inboxes and, once closed, the satisfaction survey; the worker's
hourly job runs monitoring."""

from __future__ import annotations

import datetime as dt

from aftersales.core import clock
from aftersales.core.models import Role
from aftersales.notify.models import Notification
from aftersales.surveys.models import Survey
from aftersales.tickets import monitoring
from aftersales.tickets.models import Ticket
from tests.conftest import make_caller


def open_logistics(market) -> str:
    order = market.order(carrier=market.carrier)
    response = market.consumer.post(
        "/tickets",
        {"type": "logistics", "subtype": "lost", "title": "丢件", "order_sn": order.order_sn},
    )
    assert response.status_code == 201, response.content
    return response.json()["ticket_no"]


def test_parties_hear_of_ticket_steps_but_not_of_their_own(market, travel):
    courier = make_caller(Role.CARRIER, carrier=market.carrier)
    no = open_logistics(market)
    # The shop and the carrier hear of the new ticket; the consumer who opened it does not
    assert Notification.objects.filter(recipient=market.merchant.user, subject_key=no).count() == 1
    assert Notification.objects.filter(recipient=courier.user, subject_key=no).count() == 1
    assert not Notification.objects.filter(recipient=market.consumer.user).exists()
    # An internal note between shop and carrier never reaches the consumer
    courier.post(f"/tickets/{no}/actions/reply", {"body": "内部：在中转站", "internal": True})
    assert not Notification.objects.filter(recipient=market.consumer.user).exists()
    market.merchant.post(f"/tickets/{no}/actions/resolve", {"resolution": "已补发"})
    (line,) = Notification.objects.filter(recipient=market.consumer.user)
    assert line.subject_kind == "ticket" and line.subject_key == no


def test_a_closed_ticket_is_rated_once_by_its_consumer(market, travel):
    no = open_logistics(market)
    market.merchant.post(f"/tickets/{no}/actions/resolve", {"resolution": "已补发"})
    early = market.consumer.post(f"/tickets/{no}/survey", {"stars": 5})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_closed_yet")
    market.consumer.post(f"/tickets/{no}/actions/close", {})
    assert Ticket.objects.get(ticket_no=no).status == "closed"
    assert market.merchant.post(f"/tickets/{no}/survey", {"stars": 1}).status_code == 403
    response = market.consumer.post(f"/tickets/{no}/survey", {"stars": 4, "comment": "处理及时"})
    assert response.status_code == 201, response.content
    again = market.consumer.post(f"/tickets/{no}/survey", {"stars": 5})
    assert again.status_code == 409
    survey = Survey.objects.get()
    assert (survey.subject_kind, survey.subject_key, survey.stars, survey.type) == (
        "ticket",
        no,
        4,
        "logistics",
    )


def test_the_hourly_job_runs_monitoring_once_an_hour(market, travel, monkeypatch):
    runs = []
    monkeypatch.setattr(monitoring, "run", lambda now: runs.append(now))
    monkeypatch.setattr(monitoring, "_last_run", None)
    now = clock.now()
    for minutes in (0, 10, 59, 60, 61, 125):
        monitoring.hourly_job(now + dt.timedelta(minutes=minutes))
    assert runs == [now, now + dt.timedelta(minutes=60), now + dt.timedelta(minutes=125)]


def test_the_worker_loop_has_the_job():
    from aftersales.deadlines.sweeper import _jobs

    assert monitoring.hourly_job in _jobs

"""The hash chain: `aftersales verify-log` finds any altered, removed or reordered event."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from aftersales.core.models import Event


def _verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_log", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _no_checkpoints(monkeypatch, settings, tmp_path):
    # These tests are about the chains alone (tests/test_checkpoints.py adds the checkpoints).
    monkeypatch.delenv("AFTERSALES_CHECKPOINT_KEY", raising=False)
    settings.DATA_DIR = tmp_path


@pytest.fixture
def three_cases(market, travel):
    """Three cases with a few events each."""
    cases = []
    for _ in range(3):
        order = market.order()
        case = market.consumer.post(
            "/cases", {"order_sn": order.order_sn, "type": "return_refund", "reason": "damaged"}
        ).json()
        market.merchant.act(case["case_no"], "agree")
        market.consumer.act(
            case["case_no"], "ship_return", {"carrier": "sf", "tracking_no": "SF1234567"}
        )
        cases.append(case["case_no"])
    return cases


def test_intact_chains_verify(three_cases):
    code, out, err = _verify()
    assert code == 0
    assert out == "ok 9 events\n"
    assert err == (
        f"no checkpoint found ({settings.DATA_DIR}/checkpoints.jsonl): chains checked in the "
        "database only\n"
    )


def test_altered_event_is_named(three_cases):
    # Given an event whose data was edited in the database
    event = Event.objects.get(subject_key=three_cases[1], seq=2)
    event.data = {**event.data, "return_address": "某个别的地址"}
    event.save(update_fields=["data"])
    # Then verify-log fails naming exactly that event
    code, _, err = _verify()
    assert code == 1
    assert f"case:{three_cases[1]} seq 2 (event {event.id}): content altered" in err


def test_altered_actor_or_time_is_found(three_cases):
    event = Event.objects.get(subject_key=three_cases[0], seq=1)
    Event.objects.filter(id=event.id).update(actor="someone_else")
    code, _, err = _verify()
    assert code == 1
    assert f"event {event.id}" in err


def test_removed_event_is_found(three_cases):
    # Given the middle event of a chain deleted
    Event.objects.filter(subject_key=three_cases[2], seq=2).delete()
    code, _, err = _verify()
    third = Event.objects.get(subject_key=three_cases[2], seq=3)
    assert code == 1
    assert f"case:{three_cases[2]} seq 3 (event {third.id}): events missing before this one" in err


def test_removed_last_event_is_found_by_the_head(three_cases):
    Event.objects.filter(subject_key=three_cases[0], seq=3).delete()
    code, _, err = _verify()
    assert code == 1
    assert f"case:{three_cases[0]}" in err and "head says 3" in err


def test_reordered_events_are_found(three_cases):
    # Given two events whose positions were swapped (seq exchanged)
    first = Event.objects.get(subject_key=three_cases[1], seq=2)
    second = Event.objects.get(subject_key=three_cases[1], seq=3)
    Event.objects.filter(id=first.id).update(seq=99)
    Event.objects.filter(id=second.id).update(seq=2)
    Event.objects.filter(id=first.id).update(seq=3)
    code, _, err = _verify()
    assert code == 1
    assert f"case:{three_cases[1]} seq 2 (event {second.id}): previous hash does not match" in err


def test_a_rehashed_forgery_still_breaks_the_next_link(three_cases):
    # Given a forger who edits an event and recomputes its own hash
    from aftersales.core.eventlog import compute_hash

    event = Event.objects.get(subject_key=three_cases[0], seq=2)
    event.data = {**event.data, "return_address": "伪造地址"}
    event.hash = compute_hash(
        event.prev_hash,
        kind="case",
        key=three_cases[0],
        seq=2,
        at=event.at,
        actor=event.actor,
        action=event.action,
        data=event.data,
    )
    event.save()
    # Then the following event no longer links to it
    code, _, err = _verify()
    following = Event.objects.get(subject_key=three_cases[0], seq=3)
    assert code == 1
    assert f"event {following.id}): previous hash does not match" in err


def test_ticket_chains_are_verified_too(market, travel):
    # Given a ticket with two events, one of them then edited in the database
    order = market.order(carrier=market.carrier)
    no = market.consumer.post(
        "/tickets",
        {"type": "logistics", "subtype": "lost", "title": "丢件", "order_sn": order.order_sn},
    ).json()["ticket_no"]
    market.merchant.post(f"/tickets/{no}/actions/reply", {"body": "正在核实"})
    assert _verify()[0] == 0
    event = Event.objects.get(subject_kind="ticket", subject_key=no, seq=2)
    Event.objects.filter(id=event.id).update(actor="someone_else")
    # Then verify-log names it
    code, _, err = _verify()
    assert code == 1
    assert f"ticket:{no} seq 2 (event {event.id}): content altered" in err

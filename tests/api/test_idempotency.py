"""`Idempotency-Key` (spec/api.md): the same key and body within 24 h return the first
response and change nothing."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import RequestFactory

from aftersales.assistant.models import Conversation
from aftersales.cases.models import Case
from aftersales.catalog.models import Shop
from aftersales.core import idempotency
from aftersales.core.api import api
from aftersales.core.models import IdempotencyRecord
from aftersales.ledger.models import Coupon, EntryKind, LedgerEntry
from aftersales.notify.models import WebhookEndpoint
from aftersales.orders.models import Order
from tests.api import act, assert_error, db_case, events_of, file_case, refund_entries
from tests.factories import T0

KEY = {"Idempotency-Key": "3f1c9a4e-request-1"}


def case_request(order, **extra) -> dict:
    return {"order_sn": order.order_sn, "type": "refund_only", "reason": "quality", **extra}


def test_filing_twice_with_the_same_key_creates_one_case(market, travel):
    order = market.order()

    first = market.consumer.post("/cases", case_request(order), headers=KEY)
    travel.by(minutes=5)
    again = market.consumer.post("/cases", case_request(order), headers=KEY)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"] == '"1"'
    case_no = first.json()["case_no"]
    assert list(Case.objects.values_list("case_no", flat=True)) == [case_no]
    assert events_of(case_no) == ["create"]
    assert IdempotencyRecord.objects.filter(user=market.consumer.user).count() == 1


def test_an_action_twice_with_the_same_key_refunds_once(market, travel):
    # given a case awaiting the merchant
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    # when the merchant's agreement is sent twice (a retry after a lost response)
    first = market.merchant.act(case_no, "agree", {}, headers=KEY)
    travel.by(seconds=30)
    again = market.merchant.act(case_no, "agree", {}, headers=KEY)

    # then both get the first answer, and there is one refund and one event
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["ETag"] == '"2"'
    assert refund_entries(case_no) == [("consumer", 20_000), ("shop", -20_000)]
    assert events_of(case_no) == ["create", "agree"]
    assert db_case(case_no).version == 2

    # without the key, the retry is an ordinary conflict
    assert market.merchant.act(case_no, "agree", {}).status_code == 409
    assert refund_entries(case_no) == [("consumer", 20_000), ("shop", -20_000)]


def test_a_ruling_twice_with_the_same_key_compensates_once(market, travel):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]
    act(market.merchant, case_no, "refuse", {"reason": "商品无质量问题"})
    act(market.consumer, case_no, "request_intervention", {"reason": "商家拒绝不合理"})
    ruling = {"outcome": "refund_with_compensation", "note": "核实凭证后裁定"}

    first = market.agent.act(case_no, "rule", ruling, headers=KEY)
    again = market.agent.act(case_no, "rule", ruling, headers=KEY)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Coupon.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.COMPENSATION).count() == 1
    assert refund_entries(case_no) == [("consumer", 20_000), ("shop", -20_000)]
    assert events_of(case_no) == ["create", "refuse", "request_intervention", "rule"]


def test_same_key_with_a_different_body_is_422(market, travel):
    order = market.order()
    first = market.consumer.post("/cases", case_request(order), headers=KEY)
    assert first.status_code == 201

    different_body = market.consumer.post(
        "/cases", case_request(order, amount_fen=100), headers=KEY
    )
    different_path = market.consumer.act(first.json()["case_no"], "cancel", {}, headers=KEY)

    for response in (different_body, different_path):
        assert_error(
            response,
            422,
            code="idempotency_key_reused",
            message="This Idempotency-Key was used with a different request.",
            field="Idempotency-Key",
        )
    assert Case.objects.count() == 1
    assert db_case(first.json()["case_no"]).status == "awaiting_merchant"
    assert db_case(first.json()["case_no"]).amount_fen == 20_000
    assert events_of(first.json()["case_no"]) == ["create"]


def test_different_users_use_the_same_key_independently(market, travel):
    mine = market.order()
    theirs = market.order(consumer=market.other_consumer.user)

    first = market.consumer.post("/cases", case_request(mine), headers=KEY)
    second = market.other_consumer.post("/cases", case_request(theirs), headers=KEY)

    assert first.status_code == second.status_code == 201
    assert first.json()["case_no"] != second.json()["case_no"]
    assert first.json()["order_sn"] == mine.order_sn
    assert second.json()["order_sn"] == theirs.order_sn
    assert Case.objects.count() == 2
    assert sorted(IdempotencyRecord.objects.values_list("user_id", "key")) == sorted(
        [
            (market.consumer.user.id, KEY["Idempotency-Key"]),
            (market.other_consumer.user.id, KEY["Idempotency-Key"]),
        ]
    )


def test_a_key_is_remembered_for_24_hours(market, travel):
    order = market.order()
    first = market.consumer.post("/cases", case_request(order), headers=KEY)
    act(market.consumer, first.json()["case_no"], "cancel", {})

    # 24 hours later to the microsecond, the key still answers with the first response
    travel.by(hours=24)
    again = market.consumer.post("/cases", case_request(order), headers=KEY)

    assert again.status_code == 201
    assert again.json() == first.json()
    assert Case.objects.count() == 1


def test_a_key_older_than_24_hours_is_new(market, travel):
    # given a case filed with a key, then cancelled
    order = market.order()
    first = market.consumer.post("/cases", case_request(order), headers=KEY)
    act(market.consumer, first.json()["case_no"], "cancel", {})

    # when the same request comes a day and a second later
    travel.by(hours=24, seconds=1)
    again = market.consumer.post("/cases", case_request(order), headers=KEY)

    # then it is a new request: a second case, and the key now remembers the new answer
    assert again.status_code == 201, again.content
    assert again.json()["case_no"] != first.json()["case_no"]
    assert again.json()["created_at"] == "2026-12-02T20:00:01+08:00"
    assert again.json()["status"] == "awaiting_merchant"
    assert Case.objects.count() == 2
    record = IdempotencyRecord.objects.get(user=market.consumer.user)
    assert record.response["case_no"] == again.json()["case_no"]
    assert record.created_at > T0

    # and a retry now replays the new answer
    retry = market.consumer.post("/cases", case_request(order), headers=KEY)
    assert retry.json() == again.json()
    assert Case.objects.count() == 2


def test_a_refusal_is_remembered_and_replayed(market, travel):
    """Stripe stores 4xx answers too: a retry learns the same refusal, it is not re-judged."""
    # given a refusal (more than the order's amount) sent with a key
    order = market.order()
    too_much = market.consumer.post("/cases", case_request(order, amount_fen=20_001), headers=KEY)
    assert too_much.status_code == 422
    record = IdempotencyRecord.objects.get(user=market.consumer.user)
    assert (record.status_code, record.response) == (422, too_much.json())

    # when the same request is retried, it gets the same refusal, marked as a replay
    again = market.consumer.post("/cases", case_request(order, amount_fen=20_001), headers=KEY)
    assert (again.status_code, again.json()) == (422, too_much.json())
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in too_much

    # and a corrected body needs a new key: this one is spent on the refused request
    fixed = market.consumer.post("/cases", case_request(order, amount_fen=20_000), headers=KEY)
    assert fixed.json()["error"]["code"] == "idempotency_key_reused"
    fresh = market.consumer.post(
        "/cases", case_request(order, amount_fen=20_000), headers={"Idempotency-Key": "k-2"}
    )
    assert fresh.status_code == 201
    assert Case.objects.count() == 1


def test_a_schema_refusal_is_not_remembered(market, travel):
    """A body the schema refuses never started the write (Stripe: validation is not saved)."""
    order = market.order()
    bad = market.consumer.post("/cases", case_request(order, amount_fen="lots"), headers=KEY)
    assert bad.status_code == 400
    assert IdempotencyRecord.objects.count() == 0

    fixed = market.consumer.post("/cases", case_request(order), headers=KEY)
    assert fixed.status_code == 201


def test_the_same_parameters_in_another_order_are_the_same_request(market, travel):
    order = market.order()
    sn = order.order_sn
    first = market.consumer.post(
        "/cases", f'{{"order_sn": "{sn}", "type": "refund_only", "reason": "quality"}}', headers=KEY
    )
    reordered = market.consumer.post(
        "/cases",
        f'{{\n  "reason": "quality",\n  "type": "refund_only",\n  "order_sn": "{sn}"\n}}',
        headers=KEY,
    )

    assert first.status_code == reordered.status_code == 201
    assert reordered.json() == first.json()
    assert reordered["Idempotent-Replayed"] == "true"
    assert reordered["ETag"] == first["ETag"]
    assert "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1


def test_a_key_in_flight_is_409_and_not_remembered(market, travel):
    # given a request with this key still running (its claim is recorded, no answer yet)
    order = market.order()
    IdempotencyRecord.objects.create(
        user=market.consumer.user,
        key=KEY["Idempotency-Key"],
        request_hash=_fingerprint_of(market, order),
        status_code=0,
        response={},
        created_at=T0,
    )
    travel.by(seconds=1)

    response = market.consumer.post("/cases", case_request(order), headers=KEY)

    assert_error(
        response,
        409,
        code="idempotency_in_progress",
        message="A request with this Idempotency-Key is still in progress; retry in a moment.",
        field="Idempotency-Key",
    )
    assert Case.objects.count() == 0
    record = IdempotencyRecord.objects.get()
    assert (record.status_code, record.response) == (0, {})

    # a claim whose request died long ago is taken over by the retry
    travel.by(minutes=3)
    retried = market.consumer.post("/cases", case_request(order), headers=KEY)
    assert retried.status_code == 201, retried.content
    assert Case.objects.count() == 1


def _fingerprint_of(market, order) -> str:
    """The fingerprint the API gives this case request."""
    request = RequestFactory().post(
        "/api/v1/cases", json.dumps(case_request(order)), content_type="application/json"
    )
    return idempotency._fingerprint(request)


def test_a_server_error_releases_the_key(market, travel, monkeypatch):
    from aftersales.cases import services

    order = market.order()

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "create_case", broken)
    market.consumer.client.raise_request_exception = False
    failed = market.consumer.post("/cases", case_request(order), headers=KEY)
    assert failed.status_code == 500
    assert IdempotencyRecord.objects.count() == 0

    monkeypatch.undo()
    retried = market.consumer.post("/cases", case_request(order), headers=KEY)
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


def test_an_overlong_key_is_400(market, travel):
    order = market.order()
    response = market.consumer.post(
        "/cases", case_request(order), headers={"Idempotency-Key": "k" * 201}
    )
    assert_error(
        response,
        400,
        code="bad_request",
        message="Idempotency-Key must be 1 to 200 characters.",
        field="Idempotency-Key",
    )
    assert Case.objects.count() == 0


SHOP = {
    "code": "acme",
    "name": "极客数码旗舰店",
    "balance_fen": 50_000,
    "return_address": "浙江省杭州市余杭区文一西路969号 售后部",
}


def test_admin_writes_accept_the_key_too(market, travel):
    """spec/api.md: *write requests* accept Idempotency-Key, not only case writes."""
    first = market.admin.post("/shops", SHOP, headers=KEY)
    again = market.admin.post("/shops", SHOP, headers=KEY)
    assert first.status_code == 201, first.content
    assert (again.status_code, again.json()) == (201, first.json())
    assert Shop.objects.filter(code="acme").count() == 1
    assert LedgerEntry.objects.filter(shop__code="acme").count() == 1

    order = {
        "order_sn": "ACME-0001",
        "shop": "acme",
        "consumer": market.consumer.user.username,
        "items": [
            {
                "sku": "P-1",
                "title": "智能手机",
                "category": "手机",
                "quantity": 1,
                "unit_price_fen": 20_000,
            }
        ],
        "amount_fen": 20_000,
        "paid_at": "2026-11-26T20:00:00+08:00",
    }
    order_key = {"Idempotency-Key": "order-ACME-0001"}
    first = market.admin.post("/orders", order, headers=order_key)
    again = market.admin.post("/orders", order, headers=order_key)
    assert first.status_code == 201, first.content
    assert (again.status_code, again.json()) == (201, first.json())
    assert Order.objects.filter(order_sn="ACME-0001").count() == 1

    carrier_key = {"Idempotency-Key": "carrier-zto"}
    first = market.admin.post("/carriers", {"code": "zto", "name": "中通快递"}, headers=carrier_key)
    again = market.admin.post("/carriers", {"code": "zto", "name": "中通快递"}, headers=carrier_key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()


def test_assistant_messages_honour_the_key(market, travel):
    # given a consumer whose app retries a chat message after a lost response
    body = {"text": "我的快递怎么还没到"}
    first = market.consumer.post("/assistant/messages", body, headers=KEY)
    again = market.consumer.post("/assistant/messages", body, headers=KEY)

    # then both answers are the first one, and there is one conversation with one reply
    assert first.status_code == again.status_code == 200, first.content
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    conversation = Conversation.objects.get()
    assert conversation.public_id == first.json()["conversation_id"]
    assert list(conversation.messages.values_list("sender", flat=True)) == ["consumer", "assistant"]


def test_a_webhook_secret_is_never_stored_in_the_record(market, travel):
    path = f"/shops/{market.shop.code}/webhooks"
    body = {"url": "https://erp.example.com/aftersales", "event_types": ["case.*"]}

    first = market.merchant.post(path, body, headers=KEY)
    again = market.merchant.post(path, body, headers=KEY)

    # the first answer shows the secret once
    endpoint = WebhookEndpoint.objects.get()
    assert first.status_code == 201, first.content
    assert first.json()["secret"] == endpoint.secret
    # the record keeps the answer without it
    record = IdempotencyRecord.objects.get(user=market.merchant.user)
    assert endpoint.secret not in json.dumps(record.response)
    assert record.response["secret"] is None
    # and the replay says why it has none
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == {
        **{k: v for k, v in first.json().items() if k != "secret"},
        "secret": None,
        "secret_note": "The secret was shown once, in the first response to this request, "
        "and is not kept for replays; rotate it if it was lost.",
    }
    assert WebhookEndpoint.objects.count() == 1


def test_a_committed_write_whose_answer_fails_to_render_is_still_201(market, travel, monkeypatch):
    # given the API's renderer fails once, after the case has been written
    renderer = api.renderer
    real_render = renderer.render
    calls = []

    def render_fails_once(request, data, *, response_status):
        calls.append(response_status)
        if len(calls) == 1:
            raise ValueError("the renderer broke")
        return real_render(request, data, response_status=response_status)

    monkeypatch.setattr(renderer, "render", render_fails_once)
    order = market.order()

    # when the consumer files a case (without a key, as the doubled tickets were)
    response = market.consumer.post("/cases", case_request(order))

    # then the answer says it was saved, with the case's number and where to read it
    case = Case.objects.get()
    assert response.status_code == 201, response.content
    assert response.json() == {
        "case_no": case.case_no,
        "order_sn": order.order_sn,
        "version": 1,
        "committed": True,
        "detail": "Saved; read it again for the full record.",
    }
    assert response["Location"] == f"/api/v1/cases/{case.case_no}"
    assert response["ETag"] == '"1"'
    assert events_of(case.case_no) == ["create"]


def test_a_write_that_fails_before_its_commit_changes_nothing(market, travel, monkeypatch):
    # given rendering the case fails inside the write's transaction
    from aftersales.cases import queries

    def broken(*args, **kwargs):
        raise RuntimeError("lost the connection while reading back")

    monkeypatch.setattr(queries, "get_case_body", broken)
    market.consumer.client.raise_request_exception = False

    response = market.consumer.post("/cases", case_request(market.order()))

    # then it is a server error and nothing was committed: the client may safely retry
    assert response.status_code == 500
    assert Case.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_failing_post_commit_hook_still_answers_the_committed_write(market, travel, monkeypatch):
    # given a hook, run after the case's commit, that fails (for real: no test transaction)
    from aftersales.cases import queries

    real_body = queries.get_case_body

    def body_then_failing_hook(*args, **kwargs):
        transaction.on_commit(lambda: (_ for _ in ()).throw(RuntimeError("hook broke")))
        return real_body(*args, **kwargs)

    monkeypatch.setattr(queries, "get_case_body", body_then_failing_hook)
    order = market.order()

    response = market.consumer.post("/cases", case_request(order), headers=KEY)

    # then the client learns that the case was filed, and a retry replays it
    case = Case.objects.get()
    assert response.status_code == 201, response.content
    assert response.json()["case_no"] == case.case_no
    monkeypatch.undo()
    again = market.consumer.post("/cases", case_request(order), headers=KEY)
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json()["case_no"] == case.case_no
    assert Case.objects.count() == 1

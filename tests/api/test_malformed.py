"""Malformed and oversized bodies (issue 9, defect 3): each is a 4xx in the contract's error
shape, refused before the API parses or stores anything, never a 500."""

from __future__ import annotations

import json
import time

import pytest
from django.test import override_settings

from aftersales.cases.models import Case
from tests.api import assert_error, file_case

NUL_MESSAGE = "Text may not contain NUL (U+0000) characters."


def raw_post(caller, path: str, body: bytes | str, content_type: str | None = "application/json"):
    """POST `body` exactly as given; `content_type=None` sends no Content-Type at all."""
    extra = {} if content_type is None else {"CONTENT_TYPE": content_type}
    data = body.encode() if isinstance(body, str) else body
    return caller.client.generic("POST", f"/api/v1{path}", data, **extra, **caller._headers(None))


def case_body(order, **extra) -> dict:
    return {"order_sn": order.order_sn, "type": "refund_only", "reason": "quality", **extra}


def test_a_hundred_thousand_brackets_are_400(market):
    response = raw_post(market.consumer, "/cases", "[" * 100_000)

    assert_error(
        response,
        400,
        code="too_deeply_nested",
        message="The JSON body is nested more than 32 levels deep.",
        field=None,
    )
    assert Case.objects.count() == 0


def test_nesting_just_past_the_limit_is_refused_and_at_the_limit_reaches_the_api(market):
    order = market.order()
    deep_33 = case_body(order, x=json.loads("[" * 32 + "]" * 32))
    deep_32 = case_body(order, x=json.loads("[" * 31 + "]" * 31))

    refused = market.consumer.post("/cases", deep_33)
    reached = market.consumer.post("/cases", deep_32)

    assert refused.json()["error"]["code"] == "too_deeply_nested"
    # 32 levels reach the schema, which refuses the unknown field by name
    assert reached.status_code == 400
    assert reached.json()["error"]["field"] == "x"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", None, "application/merge-patch+json", "application/json; charset=utf-8"],
)
def test_a_nul_character_is_400_whatever_the_content_type(market, content_type):
    order = market.order()
    body = json.dumps(case_body(order, description="坏\x00掉"))

    response = raw_post(market.consumer, "/cases", body, content_type)

    assert_error(response, 400, code="invalid", message=NUL_MESSAGE, field=None)
    assert Case.objects.count() == 0


def test_a_raw_nul_byte_in_a_non_json_body_is_400(market):
    response = raw_post(market.consumer, "/cases", b"order\x00sn", "text/plain")

    assert_error(response, 400, code="invalid", message=NUL_MESSAGE, field=None)


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=BoUnDaRy", "application/x-www-form-urlencoded"]
)
def test_a_form_post_to_a_json_endpoint_is_415(market, content_type):
    order = market.order()
    if content_type.startswith("multipart"):
        body = (
            "--BoUnDaRy\r\n"
            'Content-Disposition: form-data; name="order_sn"\r\n\r\n'
            f"{order.order_sn}\r\n"
            "--BoUnDaRy--\r\n"
        )
    else:
        body = f"order_sn={order.order_sn}&type=refund_only"

    response = raw_post(market.consumer, "/cases", body, content_type)

    assert_error(
        response,
        415,
        code="unsupported_media_type",
        message="The API accepts JSON bodies only (Content-Type: application/json).",
        field="Content-Type",
    )
    assert Case.objects.count() == 0


def test_a_body_over_the_limit_is_413_before_it_is_parsed(market):
    order = market.order()
    # a 12 MB evidence list: refused on its declared size, not after parsing it
    evidence = ["https://img.example.com/" + "x" * 40] * 200_000
    body = json.dumps({"evidence": evidence, "reason": "x"})
    assert len(body) > 12_000_000

    started = time.monotonic()
    response = raw_post(
        market.merchant,
        f"/cases/{file_case(market.consumer, order)['case_no']}/actions/refuse",
        body,
    )
    elapsed = time.monotonic() - started

    assert_error(
        response,
        413,
        code="body_too_large",
        message="The request body is larger than 1048576 bytes.",
        field=None,
    )
    assert elapsed < 1.0


@override_settings(API_MAX_BODY_BYTES=100)
def test_the_body_limit_is_a_setting(market):
    order = market.order()
    small_enough = market.consumer.post("/cases", case_body(order))
    too_big = market.consumer.post("/cases", case_body(order, description="长" * 100))

    assert small_enough.status_code == 201, small_enough.content
    assert_error(
        too_big,
        413,
        code="body_too_large",
        message="The request body is larger than 100 bytes.",
        field=None,
    )
    assert Case.objects.count() == 1


def test_evidence_takes_at_most_nine_items(market):
    order = market.order()
    case_no = file_case(market.consumer, order)["case_no"]

    response = market.merchant.act(
        case_no, "refuse", {"reason": "无质量问题", "evidence": [f"img-{i}" for i in range(10)]}
    )

    assert_error(
        response,
        400,
        code="invalid",
        message_starts="evidence: List should have at most 9 items",
        field="evidence",
    )
    assert Case.objects.get(case_no=case_no).status == "awaiting_merchant"


@pytest.mark.postgres
def test_nul_in_text_plain_never_reaches_postgresql(market):
    """The defect's DataError was PostgreSQL's: it cannot store U+0000 in text."""
    order = market.order()
    body = json.dumps(case_body(order, description="\x00"))

    response = raw_post(market.consumer, "/cases", body, "text/plain")

    assert_error(response, 400, code="invalid", message=NUL_MESSAGE, field=None)
    assert Case.objects.count() == 0


def test_the_refusal_is_worded_in_the_callers_language(market):
    response = market.consumer.client.generic(
        "POST",
        "/api/v1/cases",
        b"[" * 40 + b"]" * 40,
        CONTENT_TYPE="application/json",
        HTTP_AUTHORIZATION=f"Bearer {market.consumer.token}",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert_error(
        response, 400, code="too_deeply_nested", message="JSON 请求体的嵌套超过 32 层。", field=None
    )

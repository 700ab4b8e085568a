"""Rate limits per token and per address, token expiry and scopes (docs/security.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings

from aftersales import settings as project_settings
from aftersales.cases.models import Case
from aftersales.core.auth import issue_token, revoke
from aftersales.core.models import ApiToken, TokenScope
from tests.conftest import ApiCaller
from tests.factories import T0


def _statuses(calls) -> list[int]:
    return [call().status_code for call in calls]


@override_settings(AFTERSALES_RATE_LIMITS={"api_write": "3/m", "api_read": "100/m"})
def test_writes_over_the_per_token_limit_get_429_in_the_error_shape_with_retry_after(
    market, travel
):
    # given a limit of 3 writes a minute per token
    for _call in range(3):
        assert market.consumer.post("/cases", {}).status_code == 400  # counted, refused as bad
    # when the token writes a fourth time in that minute
    response = market.consumer.post("/cases", {"order_sn": "x"})
    # then it is refused with 429 and told when to come back
    assert response.status_code == 429
    assert response.json() == {
        "error": {
            "code": "rate_limited",
            "message": response.json()["error"]["message"],
            "field": None,
        }
    }
    assert "try again in" in response.json()["error"]["message"]
    assert 1 <= int(response["Retry-After"]) <= 60
    # reads of that token and writes of another token go on
    assert market.consumer.get("/cases").status_code == 200
    assert market.other_consumer.post("/cases", {}).status_code == 400
    # and a minute later the token may write again
    travel.by(seconds=61)
    assert market.consumer.post("/cases", {}).status_code == 400


@override_settings(AFTERSALES_RATE_LIMITS={"api_read": "2/m"})
def test_reads_over_the_per_token_limit_get_429(market, travel):
    assert _statuses([lambda: market.merchant.get("/cases")] * 3) == [200, 200, 429]


@override_settings(AFTERSALES_RATE_LIMITS={"api_address": "4/m"})
def test_one_address_is_limited_with_or_without_tokens(market, travel):
    anonymous = Client()
    calls = [
        lambda: anonymous.get("/api/v1/cases"),
        lambda: market.consumer.get("/cases"),
        lambda: market.merchant.get("/cases"),
        lambda: anonymous.get("/api/v1/cases"),
        lambda: market.agent.get("/cases"),
    ]
    assert _statuses(calls) == [401, 200, 200, 401, 429]
    other_address = Client(REMOTE_ADDR="192.0.2.7")
    assert other_address.get("/api/v1/cases").status_code == 401


def test_the_default_limits_are_on_and_generous_enough_for_a_busy_integration():
    # (the suite turns them off in conftest; the project's own values are these)
    limits = project_settings.AFTERSALES_RATE_LIMITS
    assert set(limits) == {"api_write", "api_read", "api_address", "login"}
    assert int(limits["api_write"].split("/")[0]) >= 600


def _caller(user, token: str) -> ApiCaller:
    return ApiCaller(user=user, token=token)


def test_a_token_expires_after_its_lifetime(market, travel):
    # given a token handed out now with the default lifetime of 90 days
    token = issue_token(market.consumer.user, now=T0, label="fresh")
    stored = ApiToken.objects.get(label="fresh")
    assert stored.expires_at == T0 + dt.timedelta(days=90)
    caller = _caller(market.consumer.user, token)
    assert caller.get("/cases").status_code == 200
    # when it has expired
    travel.to(T0 + dt.timedelta(days=90, seconds=1))
    response = caller.get("/cases")
    # then it is refused like no token
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_token_backdated_in_the_records_still_lives_its_lifetime_from_now(market, travel):
    issue_token(market.consumer.user, now=T0 - dt.timedelta(days=400), label="old")
    stored = ApiToken.objects.get(label="old")
    assert stored.expires_at == T0 + dt.timedelta(days=90)


def test_a_revoked_token_is_refused(market, travel):
    token = issue_token(market.consumer.user, now=T0, label="to revoke")
    token_id = ApiToken.objects.get(label="to revoke").id
    assert revoke(token_id, user=market.consumer.user, now=T0)
    assert _caller(market.consumer.user, token).get("/cases").status_code == 401


def test_a_read_only_token_reads_but_may_not_write(market, travel):
    order = market.order()
    token = issue_token(market.consumer.user, now=T0, scope=TokenScope.READ)
    reader = _caller(market.consumer.user, token)
    assert reader.get("/cases").status_code == 200
    response = reader.post(
        "/cases", {"order_sn": order.order_sn, "type": "refund_only", "reason": "faulty"}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden_scope"
    assert response.json()["error"]["field"] == "Authorization"
    assert not Case.objects.filter(order=order).exists()


@pytest.mark.parametrize("scope", ["read", "read_write"])
def test_the_profile_page_issues_a_token_of_the_chosen_scope(market, scope):
    client = Client()
    client.force_login(market.consumer.user)
    response = client.post("/account/tokens/", {"label": "ci", "scope": scope})
    assert response.status_code == 302
    assert ApiToken.objects.get(label="ci").scope == scope


@override_settings(AFTERSALES_RATE_LIMITS={"api_address": "100/m"})
def test_a_request_without_a_client_address_is_counted_not_failed(market):
    request_without_address = Client(REMOTE_ADDR="")
    assert request_without_address.get("/api/v1/cases").status_code == 401

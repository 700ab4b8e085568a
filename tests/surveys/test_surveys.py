"""Satisfaction surveys: the consumer rates a finished case once; results per shop, agent and
type; the survey form on the case page."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.test import Client

from aftersales.cases.models import Case
from aftersales.cases.services import create_case, perform_action
from aftersales.core.errors import BadRequest, Conflict
from aftersales.core.models import Event, Role
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.surveys import services
from aftersales.surveys.models import Survey
from tests.conftest import make_caller
from tests.factories import SHANGHAI, T0
from tests.scenarios.helpers import SHIP, act, case_in, iso

# --- helpers --------------------------------------------------------------------------------


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """An instant of December 2026 on the Shanghai wall clock."""
    return dt.datetime(2026, 12, day, hour, minute, second, tzinfo=SHANGHAI)


def agreed_refund(market: Any, *, shop: Any = None) -> Case:
    """A refund-only request the shop's merchant agreed to: refunded, no staff involved."""
    shop = shop or market.shop
    merchant = market.merchant if shop == market.shop else market.other_merchant
    case = create_case(
        market.consumer.user,
        order_sn=market.order(shop=shop).order_sn,
        type="refund_only",
        reason="quality",
    )
    perform_action(merchant.user, case_no=case.case_no, action="agree", fields_in={})
    case.refresh_from_db()
    assert (case.status, case.is_open) == ("refunded", False)
    return case


def ruled_repair(market: Any, ruler: Any) -> Case:
    """A repair the merchant refused and `ruler` (agent or admin) refunded on review."""
    case = create_case(
        market.consumer.user,
        order_sn=market.order().order_sn,
        type="repair",
        reason="faulty",
    )
    perform_action(
        market.merchant.user,
        case_no=case.case_no,
        action="refuse",
        fields_in={"reason": "人为损坏"},
    )
    perform_action(
        ruler.user,
        case_no=case.case_no,
        action="rule",
        fields_in={"outcome": "refund", "note": "核实凭证后裁定"},
    )
    case.refresh_from_db()
    assert (case.status, case.is_open) == ("refunded", False)
    return case


def chain_state(case_no: str) -> tuple[Any, ...]:
    """Everything a survey must leave alone on its case: the chain and the row's version."""
    case = Case.objects.get(case_no=case_no)
    events = list(
        Event.objects.filter(subject_kind="case", subject_key=case_no)
        .order_by("seq")
        .values_list("seq", "action", "hash")
    )
    return (case.version, case.event_seq, case.event_head, case.updated_at, events)


def survey_row(case_no: str) -> dict[str, Any]:
    survey = Survey.objects.select_related("shop", "consumer", "agent").get(
        subject_kind="case", subject_key=case_no
    )
    return {
        "type": survey.type,
        "shop": survey.shop.code,
        "consumer": survey.consumer.username,
        "agent": survey.agent.username if survey.agent else None,
        "stars": survey.stars,
        "comment": survey.comment,
        "submitted_at": survey.submitted_at,
    }


def rate(caller: Any, case_no: str, body: Any, **kw: Any):
    return caller.post(f"/cases/{case_no}/survey", body, **kw)


def error_of(response: Any) -> tuple[int, str, str | None]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["field"]


# --- submitting -----------------------------------------------------------------------------


def test_the_consumer_rates_a_finished_case_once_and_the_case_is_untouched(market, travel):
    # Given a refund the merchant agreed to
    case = agreed_refund(market)
    before = chain_state(case.case_no)
    # When its consumer rates it
    response = rate(market.consumer, case.case_no, {"stars": 4, "comment": "  退款很快  "})
    # Then the survey is stored, credited to no agent (no staff acted on the case)
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "subject_kind": "case",
        "subject_key": case.case_no,
        "type": "refund_only",
        "shop": market.shop.code,
        "agent": None,
        "stars": 4,
        "comment": "退款很快",
        "submitted_at": iso(T0),
    }
    assert survey_row(case.case_no) == {
        "type": "refund_only",
        "shop": market.shop.code,
        "consumer": market.consumer.user.username,
        "agent": None,
        "stars": 4,
        "comment": "退款很快",
        "submitted_at": T0,
    }
    # And the case's chain and version did not change
    assert chain_state(case.case_no) == before
    # When the consumer rates it again, then it is a conflict and the first rating stays
    again = rate(market.consumer, case.case_no, {"stars": 1, "comment": "改主意了"})
    assert error_of(again) == (409, "survey_already_submitted", None)
    assert Survey.objects.count() == 1
    assert survey_row(case.case_no)["stars"] == 4
    assert chain_state(case.case_no) == before


def test_the_comment_is_optional(market, travel):
    case = agreed_refund(market)
    response = rate(market.consumer, case.case_no, {"stars": 5})
    assert response.status_code == 201
    assert (response.json()["stars"], response.json()["comment"]) == (5, "")
    assert (survey_row(case.case_no)["stars"], survey_row(case.case_no)["comment"]) == (5, "")


def test_an_open_case_cannot_be_rated_yet(market, travel):
    # Given a request still waiting for the merchant
    case_no = case_in(market, "refund_only", "awaiting_merchant")["case_no"]
    # When the consumer rates it, then it is a conflict and nothing is stored
    response = rate(market.consumer, case_no, {"stars": 5})
    assert error_of(response) == (409, "not_closed_yet", None)
    assert response.json()["error"]["message"] == (
        "You can rate the service once the request is finished."
    )
    assert Survey.objects.count() == 0


@pytest.mark.parametrize("caller", ["merchant", "agent", "admin"])
def test_only_the_consumer_rates(market, travel, caller):
    # Given a finished case that the merchant, agents and admins can all see
    case = agreed_refund(market)
    # When someone other than its consumer rates it, then it is forbidden
    response = rate(getattr(market, caller), case.case_no, {"stars": 5})
    assert error_of(response) == (403, "forbidden_party", None)
    assert Survey.objects.count() == 0


@pytest.mark.parametrize("caller", ["other_consumer", "other_merchant"])
def test_a_case_the_caller_cannot_see_is_not_found(market, travel, caller):
    case = agreed_refund(market)
    response = rate(getattr(market, caller), case.case_no, {"stars": 5})
    assert error_of(response) == (404, "not_found", "case_no")
    assert response.json()["error"]["message"] == f"Case {case.case_no} not found."
    # The same answer as for a case that does not exist
    missing = rate(market.consumer, "AS0000000000000000", {"stars": 5})
    assert error_of(missing) == (404, "not_found", "case_no")
    assert Survey.objects.count() == 0


@pytest.mark.parametrize("stars", [0, 6, -1, 100])
def test_stars_outside_one_to_five_are_refused(market, travel, stars):
    case = agreed_refund(market)
    response = rate(market.consumer, case.case_no, {"stars": stars, "comment": "好"})
    assert error_of(response) == (400, "invalid_stars", "stars")
    assert response.json()["error"]["message"] == "stars must be a whole number from 1 to 5."
    assert Survey.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stars": "5"}, "stars"),
        ({"stars": 4.5}, "stars"),
        ({"stars": True}, "stars"),
        ({"comment": "没有星级"}, "stars"),
        ({"stars": 5, "comment": 5}, "comment"),
        ({"stars": 5, "agent": "someone"}, "agent"),
    ],
)
def test_malformed_ratings_are_refused(market, travel, body, field):
    case = agreed_refund(market)
    response = rate(market.consumer, case.case_no, body)
    assert error_of(response) == (400, "invalid", field)
    assert Survey.objects.count() == 0


def test_the_comment_is_at_most_500_characters(market, travel):
    # Given two finished cases
    first, second = agreed_refund(market), agreed_refund(market)
    # When the comment has 501 characters, then it is refused
    response = rate(market.consumer, first.case_no, {"stars": 3, "comment": "长" * 501})
    assert error_of(response) == (400, "comment_too_long", "comment")
    assert Survey.objects.count() == 0
    # And 500 characters are accepted
    response = rate(market.consumer, second.case_no, {"stars": 3, "comment": "长" * 500})
    assert response.status_code == 201
    assert survey_row(second.case_no)["comment"] == "长" * 500


def test_a_nul_character_in_the_comment_is_refused(market, travel):
    case = agreed_refund(market)
    response = rate(market.consumer, case.case_no, {"stars": 3, "comment": "a\x00b"})
    # Refused before the view, for every API input (core/middleware.py)
    assert error_of(response) == (400, "invalid", None)
    assert Survey.objects.count() == 0


def test_a_repeated_idempotency_key_returns_the_first_answer(market, travel):
    case = agreed_refund(market)
    key = {"Idempotency-Key": "survey-1"}
    first = rate(market.consumer, case.case_no, {"stars": 2, "comment": "慢"}, headers=key)
    travel.by(hours=1)
    second = rate(market.consumer, case.case_no, {"stars": 2, "comment": "慢"}, headers=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert Survey.objects.count() == 1
    assert survey_row(case.case_no)["submitted_at"] == T0


# --- the credited agent ---------------------------------------------------------------------


def test_the_agent_who_ruled_is_credited(market, travel):
    case = ruled_repair(market, market.agent)
    response = rate(market.consumer, case.case_no, {"stars": 3})
    assert response.status_code == 201
    assert response.json()["agent"] == market.agent.user.username
    assert survey_row(case.case_no)["agent"] == market.agent.user.username


def test_the_last_of_several_staff_is_credited(market, travel):
    # Given an agent intervened and an admin then ruled
    case_no = case_in(market, "refund_only", "awaiting_merchant")["case_no"]
    act(market.agent, case_no, "intervene", {"reason": "用户投诉"})
    act(market.admin, case_no, "rule", {"outcome": "refund", "note": "核实凭证后裁定"})
    # When the consumer rates it, then the admin, who acted last, is credited
    response = rate(market.consumer, case_no, {"stars": 5})
    assert response.json()["agent"] == market.admin.user.username
    assert survey_row(case_no)["agent"] == market.admin.user.username


def test_the_last_staff_actor_is_credited_even_when_parties_acted_after(market, travel):
    # Given an agent ruled that a refused repair be done, and the merchant and the consumer
    # then finished it
    case_no = case_in(market, "repair", "platform_review")["case_no"]
    act(market.agent, case_no, "rule", {"outcome": "repair", "note": "核实凭证后裁定"})
    act(market.merchant, case_no, "ship_repaired", SHIP)
    case = act(market.consumer, case_no, "confirm_received")
    assert case["status"] == "completed"
    assert case["events"][-1]["actor"] == market.consumer.user.username
    # When the consumer rates it, then the agent is credited
    response = rate(market.consumer, case_no, {"stars": 4})
    assert (response.json()["type"], response.json()["agent"]) == (
        "repair",
        market.agent.user.username,
    )


def test_a_case_closed_by_a_timer_credits_no_agent(market, travel):
    # Given the merchant let the deadline pass and the system agreed
    case_no = case_in(market, "refund_only", "awaiting_merchant")["case_no"]
    deadline = Deadline.objects.get(subject_id=Case.objects.get(case_no=case_no).id)
    travel.to(deadline.due_at + dt.timedelta(seconds=1))
    assert sweep().fired == 1
    assert Case.objects.get(case_no=case_no).status == "refunded"
    assert Deadline.objects.get(id=deadline.id).status == DeadlineStatus.FIRED
    # When the consumer rates it, then no agent is credited
    response = rate(market.consumer, case_no, {"stars": 2})
    assert response.json()["agent"] is None
    assert survey_row(case_no)["agent"] is None


# --- services and the database --------------------------------------------------------------


def test_an_unknown_subject_kind_is_a_bad_request(market, travel):
    case = agreed_refund(market)
    with pytest.raises(BadRequest) as raised:
        services.submit(
            market.consumer.user, subject_kind="order", subject_key=case.case_no, stars=5
        )
    assert (raised.value.field, raised.value.message) == (
        "subject_kind",
        "subject_kind must be one of: case, ticket.",
    )
    assert Survey.objects.count() == 0


def test_a_concurrent_second_submission_loses_to_the_unique_constraint(market, travel):
    # Given a rated case
    case = agreed_refund(market)
    services.submit(
        market.consumer.user, subject_kind="case", subject_key=case.case_no, stars=5, now=T0
    )
    # When a second submission got past the existence check (as a concurrent one would)
    with (
        mock.patch.object(QuerySet, "exists", return_value=False),
        pytest.raises(Conflict) as raised,
    ):
        services.submit(
            market.consumer.user, subject_kind="case", subject_key=case.case_no, stars=1
        )
    # Then it is the same conflict, and the first survey stands
    assert raised.value.code == "survey_already_submitted"
    assert list(Survey.objects.values_list("stars", flat=True)) == [5]


def test_the_database_refuses_a_second_survey_and_stars_out_of_range(market, travel):
    case = agreed_refund(market)
    services.submit(
        market.consumer.user, subject_kind="case", subject_key=case.case_no, stars=5, now=T0
    )
    row = {
        "subject_kind": "case",
        "type": "refund_only",
        "shop": market.shop,
        "consumer": market.consumer.user,
        "submitted_at": T0,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.create(subject_key=case.case_no, stars=3, **row)
    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.create(subject_key="AS-other", stars=6, **row)
    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.create(subject_key="AS-other", stars=0, **row)
    assert Survey.objects.count() == 1


# --- reading one survey ---------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["consumer", "merchant", "agent", "admin"])
def test_parties_and_staff_read_the_survey(market, travel, caller):
    case = ruled_repair(market, market.agent)
    created = rate(market.consumer, case.case_no, {"stars": 3, "comment": "一般"})
    response = getattr(market, caller).get(f"/cases/{case.case_no}/survey")
    assert response.status_code == 200
    assert (
        response.json()
        == created.json()
        == {
            "subject_kind": "case",
            "subject_key": case.case_no,
            "type": "repair",
            "shop": market.shop.code,
            "agent": market.agent.user.username,
            "stars": 3,
            "comment": "一般",
            "submitted_at": iso(T0),
        }
    )


@pytest.mark.parametrize("caller", ["other_consumer", "other_merchant"])
def test_others_cannot_read_the_survey(market, travel, caller):
    case = agreed_refund(market)
    rate(market.consumer, case.case_no, {"stars": 3})
    response = getattr(market, caller).get(f"/cases/{case.case_no}/survey")
    assert error_of(response) == (404, "not_found", "case_no")


def test_a_case_not_rated_yet_has_no_survey(market, travel):
    case = agreed_refund(market)
    response = market.merchant.get(f"/cases/{case.case_no}/survey")
    assert error_of(response) == (404, "survey_not_found", None)
    assert response.json()["error"]["message"] == "This request has not been rated yet."


# --- results --------------------------------------------------------------------------------


def stats(count: int, avg_x100: int | None, *stars_1_to_5: int) -> dict[str, Any]:
    return {
        "count": count,
        "avg_stars_x100": avg_x100,
        "distribution": {str(n): stars_1_to_5[n - 1] for n in range(1, 6)},
    }


@pytest.fixture
def rated(market, travel) -> dict[str, Any]:
    """Four rated cases at two shops, by day (Shanghai):
    - 12-01 23:59:59  shop A, refund_only, no agent, 5★
    - 12-02 00:00:00  shop B, refund_only, admin,    1★
    - 12-02 23:59:59  shop A, repair,      agent,    3★
    - 12-03 00:00:00  shop A, refund_only, no agent, 5★
    """
    consumer = market.consumer.user
    shop_b_case = create_case(
        consumer,
        order_sn=market.order(shop=market.other_shop).order_sn,
        type="refund_only",
        reason="quality",
    )
    perform_action(
        market.admin.user,
        case_no=shop_b_case.case_no,
        action="intervene",
        fields_in={"reason": "复查"},
    )
    perform_action(
        market.admin.user,
        case_no=shop_b_case.case_no,
        action="rule",
        fields_in={"outcome": "reject", "note": "核实凭证后裁定"},
    )
    ratings = [
        (agreed_refund(market), 5, at(1, 23, 59, 59)),
        (shop_b_case, 1, at(2)),
        (ruled_repair(market, market.agent), 3, at(2, 23, 59, 59)),
        (agreed_refund(market), 5, at(3)),
    ]
    for case, stars, when in ratings:
        services.submit(
            consumer, subject_kind="case", subject_key=case.case_no, stars=stars, now=when
        )
    return {"a": market.shop.code, "b": market.other_shop.code}


def summary(caller: Any, **params: str):
    return caller.get("/surveys/summary", **params)


def test_results_per_shop(market, rated):
    response = summary(market.agent, group_by="shop")
    assert response.status_code == 200
    # Shop A: 5+3+5 = 13 over 3 = 4.333… → 433; overall 14 over 4 = 3.5 → 350
    assert response.json() == {
        "group_by": "shop",
        "from": None,
        "to": None,
        "groups": sorted(
            [
                {"key": rated["a"], **stats(3, 433, 0, 0, 1, 0, 2)},
                {"key": rated["b"], **stats(1, 100, 1, 0, 0, 0, 0)},
            ],
            key=lambda g: g["key"],
        ),
        "overall": stats(4, 350, 1, 0, 1, 0, 2),
    }


def test_results_per_agent_put_the_uncredited_last(market, rated):
    response = summary(market.admin, group_by="agent")
    assert response.status_code == 200
    staff = sorted(
        [
            {"key": market.agent.user.username, **stats(1, 300, 0, 0, 1, 0, 0)},
            {"key": market.admin.user.username, **stats(1, 100, 1, 0, 0, 0, 0)},
        ],
        key=lambda g: g["key"],
    )
    assert response.json()["groups"] == [*staff, {"key": None, **stats(2, 500, 0, 0, 0, 0, 2)}]


def test_results_per_type(market, rated):
    response = summary(market.agent, group_by="type")
    # refund_only: 5+1+5 = 11 over 3 = 3.666… → 367
    assert response.json()["groups"] == [
        {"key": "refund_only", **stats(3, 367, 1, 0, 0, 0, 2)},
        {"key": "repair", **stats(1, 300, 0, 0, 1, 0, 0)},
    ]


def test_a_date_range_counts_whole_shanghai_days(market, rated):
    # 12-02 includes 00:00:00 and 23:59:59 of that day, not 12-01 23:59:59 or 12-03 00:00
    response = summary(market.agent, group_by="type", **{"from": "2026-12-02", "to": "2026-12-02"})
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-12-02", "2026-12-02")
    assert body["groups"] == [
        {"key": "refund_only", **stats(1, 100, 1, 0, 0, 0, 0)},
        {"key": "repair", **stats(1, 300, 0, 0, 1, 0, 0)},
    ]
    assert body["overall"] == stats(2, 200, 1, 0, 1, 0, 0)
    # Open-ended ranges
    since = summary(market.agent, group_by="shop", **{"from": "2026-12-03"}).json()
    assert since["overall"] == stats(1, 500, 0, 0, 0, 0, 1)
    until = summary(market.agent, group_by="shop", to="2026-12-01").json()
    assert until["overall"] == stats(1, 500, 0, 0, 0, 0, 1)


def test_merchants_see_their_own_shop_only(market, rated):
    # Grouped by agent, shop A's merchant sees shop A's three surveys and not shop B's
    own = summary(market.merchant, group_by="agent").json()
    assert own["groups"] == [
        {"key": market.agent.user.username, **stats(1, 300, 0, 0, 1, 0, 0)},
        {"key": None, **stats(2, 500, 0, 0, 0, 0, 2)},
    ]
    assert own["overall"] == stats(3, 433, 0, 0, 1, 0, 2)
    other = summary(market.other_merchant, group_by="shop").json()
    assert other["groups"] == [{"key": rated["b"], **stats(1, 100, 1, 0, 0, 0, 0)}]


def test_an_empty_range_has_no_average(market, rated):
    body = summary(market.agent, group_by="shop", **{"from": "2027-01-01"}).json()
    assert body["groups"] == []
    assert body["overall"] == stats(0, None, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("role", [Role.CONSUMER, Role.CARRIER])
def test_consumers_and_carriers_get_no_results(market, rated, role):
    caller = market.consumer if role == Role.CONSUMER else make_caller(role, carrier=market.carrier)
    response = summary(caller, group_by="shop")
    assert error_of(response) == (403, "forbidden_role", None)


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({}, "invalid", "group_by"),
        ({"group_by": "consumer"}, "bad_request", "group_by"),
        ({"group_by": "shop", "from": "2026-12-03", "to": "2026-12-02"}, "bad_request", "from"),
        ({"group_by": "shop", "from": "2026-13-01"}, "invalid", "from"),
        ({"group_by": "shop", "from": "0001-01-01"}, "bad_request", "from"),
        ({"group_by": "shop", "to": "9999-12-31"}, "bad_request", "to"),
        ({"group_by": "shop", "subject_kind": "order"}, "bad_request", "subject_kind"),
    ],
)
def test_bad_summary_queries_are_refused(market, rated, params, code, field):
    assert error_of(summary(market.agent, **params)) == (400, code, field)


# --- the survey form on the case page -------------------------------------------------------


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_consumer_rates_a_finished_case_on_its_page(market, travel):
    # Given a finished case, its page offers the consumer the survey form (in Chinese)
    case = agreed_refund(market)
    client = signed_in(market.consumer.user)
    page = client.get(f"/cases/{case.case_no}/").content.decode()
    assert 'data-testid="survey-form"' in page
    assert "<h2>满意度评价</h2>" in page
    assert f'action="/surveys/cases/{case.case_no}/"' in page
    assert 'name="stars" value="5"' in page
    # When the consumer sends it
    response = client.post(f"/surveys/cases/{case.case_no}/", {"stars": "4", "comment": "满意"})
    # Then the page comes back with the rating and no form
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.case_no}/"
    assert survey_row(case.case_no)["stars"] == 4
    assert survey_row(case.case_no)["comment"] == "满意"
    page = client.get(f"/cases/{case.case_no}/").content.decode()
    assert 'data-testid="survey-stars" title="4/5">★★★★☆</span>' in page
    assert '<p data-testid="survey-comment">满意</p>' in page
    assert '<li class="success">感谢您的评价。</li>' in page
    assert 'data-testid="survey-form"' not in page


def test_the_form_through_htmx_swaps_the_panel(market, travel):
    case = agreed_refund(market)
    client = signed_in(market.consumer.user)
    response = client.post(
        f"/surveys/cases/{case.case_no}/", {"stars": "5"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith('<div class="card" id="survey-panel" data-testid="survey">')
    assert "★★★★★</span>" in html
    assert 'data-testid="survey-form"' not in html
    assert survey_row(case.case_no)["stars"] == 5


def test_a_form_without_stars_keeps_the_comment_and_stores_nothing(market, travel):
    case = agreed_refund(market)
    client = signed_in(market.consumer.user)
    response = client.post(f"/surveys/cases/{case.case_no}/", {"comment": "还没选星级"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="survey-form"' in html
    assert "还没选星级</textarea>" in html
    assert '<ul class="errorlist"' in html
    assert Survey.objects.count() == 0


def test_a_second_form_submission_shows_the_conflict(market, travel):
    case = agreed_refund(market)
    client = signed_in(market.consumer.user)
    client.post(f"/surveys/cases/{case.case_no}/", {"stars": "5"})
    response = client.post(
        f"/surveys/cases/{case.case_no}/", {"stars": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "您已评价过该申请。" in response.content.decode()
    assert list(Survey.objects.values_list("stars", flat=True)) == [5]


def test_no_form_while_the_case_is_open(market, travel):
    case_no = case_in(market, "refund_only", "awaiting_merchant")["case_no"]
    page = signed_in(market.consumer.user).get(f"/cases/{case_no}/").content.decode()
    assert 'id="survey-panel"' not in page
    response = signed_in(market.consumer.user).post(f"/surveys/cases/{case_no}/", {"stars": "5"})
    assert response.status_code == 422
    assert "申请完成后才能评价服务。" in response.content.decode()
    assert Survey.objects.count() == 0


def test_the_merchant_sees_the_rating_but_never_the_form(market, travel):
    # Given a finished case not yet rated, the merchant's page shows no survey at all
    case = ruled_repair(market, market.agent)
    merchant = signed_in(market.merchant.user)
    assert 'id="survey-panel"' not in merchant.get(f"/cases/{case.case_no}/").content.decode()
    # And posting the form is forbidden
    assert merchant.post(f"/surveys/cases/{case.case_no}/", {"stars": "1"}).status_code == 403
    assert Survey.objects.count() == 0
    # Once the consumer rated it, the merchant sees the rating, the agent also the credit
    rate(market.consumer, case.case_no, {"stars": 2, "comment": "太慢"})
    page = merchant.get(f"/cases/{case.case_no}/").content.decode()
    assert "★★☆☆☆" in page
    assert 'data-testid="survey-form"' not in page
    assert "获评客服" not in page
    staff = signed_in(market.agent.user).get(f"/cases/{case.case_no}/").content.decode()
    assert f"获评客服: {market.agent.user.username}" in staff


def test_another_consumer_cannot_post_the_form(market, travel):
    case = agreed_refund(market)
    response = signed_in(market.other_consumer.user).post(
        f"/surveys/cases/{case.case_no}/", {"stars": "5"}
    )
    assert response.status_code == 404
    assert Survey.objects.count() == 0

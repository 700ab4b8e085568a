"""One claim per order item (issue: every case ends and every fen is accounted for).

A request names the items it concerns; each item's claimable money is its share of what was
paid less what has come back on it; an item with an open request takes no second one.
"""

from aftersales.cases.models import CaseItem
from tests.factories import phone_and_cover_order
from tests.scenarios.helpers import (
    OPENING_BALANCE_FEN,
    act,
    balance,
    ledger,
    open_case,
)


def two_item_order(market):
    """¥300 paid for a phone (list ¥250) and a phone case (list ¥50), 2 units of each."""
    return phone_and_cover_order(market, units=2, amount_fen=30_000)


def post(market, order, **body):
    return market.consumer.post("/cases", {"order_sn": order.order_sn, **body})


def test_requests_on_different_items_of_one_order_run_side_by_side(market, travel):
    order = two_item_order(market)
    # a return of the phones and a refund-only of the cases, at the same time
    phones = open_case(market, order, type="return_refund", items=[{"sku": "PHONE"}])
    covers = open_case(
        market, order, type="refund_only", reason="damaged", items=[{"sku": "COVER"}]
    )
    # each claims its item's share of the ¥300 paid (list prices 250 : 50)
    assert (phones["amount_fen"], covers["amount_fen"]) == (25_000, 5_000)
    claims = {c.order_item.sku: (c.quantity, c.amount_fen) for c in CaseItem.objects.all()}
    assert claims == {"PHONE": (2, 25_000), "COVER": (2, 5_000)}
    # and a third request on either item is refused, naming the open case
    response = post(market, order, type="exchange", reason="damaged", items=[{"sku": "COVER"}])
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("duplicate_case", "items")
    assert covers["case_no"] in error["message"]
    assert order.cases.count() == 2


def test_a_part_of_the_units_claims_its_part_of_the_money(market, travel):
    order = two_item_order(market)
    one = open_case(
        market, order, type="refund_only", reason="damaged", items=[{"sku": "PHONE", "quantity": 1}]
    )
    assert one["amount_fen"] == 12_500
    act(market.merchant, one["case_no"], "agree")
    assert balance(market.shop) == OPENING_BALANCE_FEN - 12_500
    # the other phone is still claimable, for the rest of the phones' money, once
    response = post(
        market, order, type="refund_only", reason="damaged", items=[{"sku": "PHONE", "quantity": 2}]
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "quantity_exceeds_order",
    )
    rest = open_case(market, order, type="refund_only", reason="damaged", items=[{"sku": "PHONE"}])
    assert rest["amount_fen"] == 12_500
    act(market.merchant, rest["case_no"], "agree")
    response = post(market, order, type="refund_only", reason="damaged", items=[{"sku": "PHONE"}])
    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "order_already_refunded",
    )
    # the whole order now defaults to what is left: the phone cases
    last = open_case(market, order, type="refund_only", reason="damaged")
    assert last["amount_fen"] == 5_000
    assert [
        sku
        for (sku,) in CaseItem.objects.filter(case__case_no=last["case_no"]).values_list(
            "order_item__sku"
        )
    ] == ["COVER"]


def test_the_claimed_items_decide_eligibility(market, travel):
    order = two_item_order(market)
    # repair names no items: it claims the repairable phones only (rule 1.2)
    repair = open_case(market, order, type="repair", reason="faulty")
    assert repair["amount_fen"] == 25_000
    # a repair of the phone cases is refused: their category is not in rule 1.2's list
    response = post(market, order, type="repair", reason="faulty", items=[{"sku": "COVER"}])
    assert (response.status_code, response.json()["error"]["code"]) == (422, "not_eligible")
    # the phone cases can still be returned without a reason
    covers = open_case(
        market, order, type="return_refund", reason="no_reason", items=[{"sku": "COVER"}]
    )
    assert covers["amount_fen"] == 5_000


def test_bad_item_selections_name_the_field(market, travel):
    order = two_item_order(market)
    for items, status in (
        ([{"sku": "NOPE"}], 422),
        ([{"sku": "PHONE", "quantity": 3}], 422),
        ([{"sku": "PHONE"}, {"sku": "PHONE"}], 400),
        ([{"sku": "PHONE", "quantity": 0}], 400),
        ([], 400),
        ([{"sku": "PHONE", "colour": "red"}], 400),
    ):
        response = post(market, order, type="refund_only", reason="damaged", items=items)
        assert response.status_code == status, (items, response.json())
        assert response.json()["error"]["field"].startswith("items"), items
    assert order.cases.count() == 0
    assert CaseItem.objects.count() == 0


def test_the_amount_asked_is_bounded_by_the_chosen_items(market, travel):
    order = two_item_order(market)
    response = post(
        market,
        order,
        type="refund_only",
        reason="damaged",
        amount_fen=5_001,
        items=[{"sku": "COVER"}],
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("amount_exceeds_order", "amount_fen")
    assert "¥50.00" in error["message"]
    case = open_case(
        market,
        order,
        type="refund_only",
        reason="damaged",
        amount_fen=3_000,
        items=[{"sku": "COVER"}],
    )
    act(market.merchant, case["case_no"], "agree")
    assert ledger(case["case_no"])[0][2] == -3_000

"""Who pays, and from which account (rules 2.5 and 2.6: deducted from 货款, then 保证金).

A charge the shop's sales balance does not cover is taken from its security deposit, then
recorded as a debt that later income settles before it restores the deposit; the shop's
merchants and the platform's agents are warned each time.
"""

from aftersales.core import clock
from aftersales.ledger import services as ledger
from aftersales.ledger.models import Account, LedgerEntry
from aftersales.notify.models import Notification
from tests.factories import ShopFactory
from tests.scenarios.helpers import SHIP, act, case_in, open_case, refused


def shop_with(market, *, sales_fen: int, deposit_fen: int):
    """Point the market's shop at the given sales balance and security deposit."""
    shop = market.shop
    LedgerEntry.objects.filter(shop=shop).delete()
    shop.security_deposit_target_fen = deposit_fen
    shop.save(update_fields=["security_deposit_target_fen"])
    if deposit_fen:
        ledger.pay_security_deposit(shop=shop, amount_fen=deposit_fen, now=shop.created_at)
    if sales_fen:
        ledger.deposit(shop=shop, amount_fen=sales_fen, now=shop.created_at)
    return shop


def accounts(shop):
    return ledger.shop_balance(shop.id), ledger.security_deposit_balance(shop.id)


def warnings(shop):
    return sorted(
        (n.recipient.role, n.kind)
        for n in Notification.objects.filter(kind__startswith="balance.").select_related(
            "recipient"
        )
    )


def test_a_refund_the_sales_balance_covers_warns_no_one(market, travel):
    shop = shop_with(market, sales_fen=50_000, deposit_fen=10_000)
    case = open_case(market, type="refund_only", reason="damaged")
    act(market.merchant, case["case_no"], "agree")
    assert accounts(shop) == (30_000, 10_000)
    assert warnings(shop) == []
    assert "shop_charges" not in case_events(market, case["case_no"])[-1]["data"]


def test_a_refund_beyond_the_sales_balance_takes_the_deposit_then_becomes_debt(market, travel):
    # Given a shop with ¥50 of sales and a ¥100 deposit
    shop = shop_with(market, sales_fen=5_000, deposit_fen=10_000)
    # When it refunds ¥200
    case = open_case(market, type="refund_only", reason="damaged")
    body = act(market.merchant, case["case_no"], "agree")
    # Then ¥50 come from sales, ¥100 from the deposit and ¥50 are owed
    assert accounts(shop) == (-5_000, 0)
    assert body["events"][-1]["data"]["shop_charges"] == {
        "refund": {"from_sales_fen": 5_000, "from_deposit_fen": 10_000, "debt_fen": 5_000}
    }
    entries = LedgerEntry.objects.filter(case__case_no=case["case_no"], shop=shop)
    assert sorted((e.account, e.amount_fen) for e in entries) == [
        (Account.AVAILABLE, -10_000),
        (Account.SECURITY_DEPOSIT, -10_000),
    ]
    # And the shop's merchant and the platform's agent are warned, once
    assert warnings(shop) == [("agent", "balance.refund"), ("merchant", "balance.refund")]
    note = Notification.objects.get(recipient=market.merchant.user, kind="balance.refund")
    assert "¥100.00" in note.body and "¥50.00" in note.body
    # And the next sales income settles the debt first, then restores the deposit
    ledger.deposit(shop=shop, amount_fen=8_000, now=clock.now())
    assert accounts(shop) == (0, 3_000)
    ledger.deposit(shop=shop, amount_fen=20_000, now=clock.now())
    assert accounts(shop) == (13_000, 10_000)


def test_a_shop_with_nothing_records_the_whole_refund_as_debt(market, travel):
    shop = shop_with(market, sales_fen=0, deposit_fen=0)
    case = open_case(market, type="refund_only", reason="damaged")
    act(market.merchant, case["case_no"], "agree")
    assert accounts(shop) == (-20_000, 0)
    assert warnings(shop) == [("agent", "balance.refund"), ("merchant", "balance.refund")]
    response = market.admin.get(f"/shops/{shop.code}")
    assert (response.json()["balance_fen"], response.json()["debt_fen"]) == (-20_000, 20_000)


def test_a_quality_return_pays_the_declared_return_shipping(market, travel):
    # Given a quality return shipped back with ¥12 of shipping declared
    shop = shop_with(market, sales_fen=100_000, deposit_fen=0)
    case = case_in(market, "return_refund", "awaiting_return", reason="damaged")
    act(market.consumer, case["case_no"], "ship_return", {**SHIP, "return_shipping_fen": 1200})
    # When the merchant confirms the return
    body = act(market.merchant, case["case_no"], "confirm_return")
    # Then the consumer gets the refund and the shipping, both from the shop
    assert body["status"] == "refunded"
    kinds = sorted(
        (e.kind, e.amount_fen)
        for e in LedgerEntry.objects.filter(case__case_no=case["case_no"], consumer__isnull=False)
    )
    assert kinds == [("refund", 20_000), ("return_shipping", 1200)]
    assert accounts(shop) == (100_000 - 21_200, 0)


def test_a_no_reason_return_does_not_take_a_shipping_fee_it_would_never_pay(market, travel):
    case = case_in(market, "return_refund", "awaiting_return", reason="no_reason")
    status, error = refused(
        market.consumer, case["case_no"], "ship_return", {**SHIP, "return_shipping_fen": 1200}
    )
    assert (status, error["code"], error["field"]) == (
        422,
        "return_shipping_not_refundable",
        "return_shipping_fen",
    )
    assert case_events(market, case["case_no"])[-1]["action"] != "ship_return"
    # without a fee the return goes ahead
    assert act(market.consumer, case["case_no"], "ship_return", SHIP)["status"] == (
        "return_in_transit"
    )


def case_events(market, case_no):
    return market.consumer.get(f"/cases/{case_no}").json()["events"]


def test_two_shops_accounts_stay_apart(market, travel):
    other = ShopFactory()
    shop_with(market, sales_fen=0, deposit_fen=0)
    case = open_case(market, type="refund_only", reason="damaged")
    act(market.merchant, case["case_no"], "agree")
    assert accounts(other) == (100_000, 0)

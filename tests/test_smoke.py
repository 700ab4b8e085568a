import datetime as dt

from aftersales.deadlines.sweeper import sweep
from tests.factories import SHANGHAI


def test_repair_defaults_through_the_api(market, travel):
    order = market.order()
    response = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "repair", "reason": "faulty"}
    )
    assert response.status_code == 201, response.json()
    case = response.json()
    assert case["status"] == "awaiting_merchant"
    assert case["deadlines"][0]["name"] == "merchant_response_deadline"
    travel.by(hours=48, seconds=1)
    assert sweep().fired == 1
    case = market.consumer.get(f"/cases/{case['case_no']}").json()
    assert case["status"] == "awaiting_return"
    travel.to(dt.datetime(2026, 12, 1, 20, 0, tzinfo=SHANGHAI))

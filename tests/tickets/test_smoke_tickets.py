from aftersales.core.models import Role
from aftersales.deadlines.sweeper import sweep
from tests.conftest import make_caller


def test_logistics_ticket_opened_by_consumer_worked_by_shop_and_carrier(market, travel):
    carrier_staff = make_caller(Role.CARRIER, carrier=market.carrier)
    order = market.order()
    order.carrier = market.carrier
    order.save()
    response = market.consumer.post(
        "/tickets",
        {
            "type": "logistics",
            "subtype": "lost",
            "title": "包裹丢了",
            "order_sn": order.order_sn,
        },
    )
    assert response.status_code == 201, response.json()
    ticket = response.json()
    assert ticket["team"] == "shop" and ticket["carrier"] == "sf"
    no = ticket["ticket_no"]
    shop_view = market.merchant.get(f"/tickets/{no}").json()
    carrier_view = carrier_staff.get(f"/tickets/{no}").json()
    assert [t["party"] for t in shop_view["tasks"]] == ["shop"]
    assert [t["party"] for t in carrier_view["tasks"]] == ["carrier"]
    r = carrier_staff.post(
        f"/tickets/{no}/actions/reply", {"body": "包裹在转运中心", "internal": True}
    )
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "in_progress"
    consumer_view = market.consumer.get(f"/tickets/{no}").json()
    assert consumer_view["messages"] == []
    shop_view = market.merchant.get(f"/tickets/{no}").json()
    assert [m["body"] for m in shop_view["messages"]] == ["包裹在转运中心"]
    r = market.merchant.post(f"/tickets/{no}/actions/resolve", {"resolution": "已补发"})
    assert r.json()["status"] == "resolved"
    travel.by(days=8)
    sweep()
    assert market.consumer.get(f"/tickets/{no}").json()["status"] == "closed"

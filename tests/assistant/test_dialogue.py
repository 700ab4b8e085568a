"""Dialogues through `POST /api/v1/assistant/messages`: the assistant acts through the same
services as the consoles, asks when unsure, refuses with the rule, hands over with context."""

from __future__ import annotations

import pytest

from aftersales.assistant.models import ChatMessage, Conversation
from aftersales.cases.models import Case
from aftersales.tickets.models import Ticket


class Chat:
    def __init__(self, caller):
        self.caller = caller
        self.conversation_id = None

    def say(self, text: str) -> dict:
        body = {"text": text}
        if self.conversation_id:
            body["conversation_id"] = self.conversation_id
        response = self.caller.post("/assistant/messages", body)
        assert response.status_code == 200, response.content
        data = response.json()
        self.conversation_id = data["conversation_id"]
        return data


@pytest.fixture
def chat(market):
    return Chat(market.consumer)


def test_file_a_return_from_chat_end_to_end(market, travel, chat):
    # Given one received order of clothes
    order = market.order(category_name="服装")
    # When the consumer asks to return it and confirms
    first = chat.say(f"订单{order.order_sn}的衣服不合适，我想退货")
    assert first["intent"] == "return_request"
    assert first["slots"]["order_sn"] == order.order_sn
    assert "确认" in first["reply"] and order.order_sn in first["reply"]
    assert not Case.objects.filter(order=order).exists()  # nothing before the confirmation
    second = chat.say("确认")
    # Then a return case exists, filed for this consumer, and the reply names it
    case = Case.objects.get(order=order)
    assert (case.type, case.reason, case.consumer_id) == (
        "return_refund",
        "no_reason",
        market.consumer.user.id,
    )
    assert case.case_no in second["reply"]
    assert second["actions"] == [
        {
            "action": "create_case",
            "case_no": case.case_no,
            "type": "return_refund",
            "order_sn": order.order_sn,
        }
    ]
    assert "48" in second["reply"] or "前无人处理" in second["reply"]


def test_report_a_repairs_next_deadline(market, travel, chat):
    # Given a repair filed at 20:00 on 1 December: the merchant's 48 hours end 20:00, 3 Dec
    order = market.order()
    case_no = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "repair", "reason": "faulty"}
    ).json()["case_no"]
    # When the consumer asks how the repair is going
    reply = chat.say("我的维修申请现在什么进度了")
    # Then the reply names the case, its status, the deadline and its default outcome
    assert case_no in reply["reply"]
    assert "待商家处理" in reply["reply"]
    assert "12月03日 20:00" in reply["reply"] and "视为商家同意" in reply["reply"]
    assert reply["actions"] == [{"action": "report_status", "case_no": case_no}]


def test_status_question_reports_deadline_and_default_outcome(market, travel, chat):
    order = market.order()
    case_no = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "repair", "reason": "faulty"}
    ).json()["case_no"]
    reply = chat.say(f"售后单{case_no}现在什么情况")
    assert case_no in reply["reply"]
    assert "待商家处理" in reply["reply"]
    assert "12月03日 20:00" in reply["reply"]
    assert reply["actions"] == [{"action": "report_status", "case_no": case_no}]


def test_asks_which_order_when_two_fit(market, travel, chat):
    shoes = market.order(category_name="鞋靴")
    cup = market.order(category_name="家居日用")
    reply = chat.say("我要退货，东西不想要了")
    listed = sorted([shoes, cup], key=lambda o: reply["reply"].index(o.order_sn))
    assert "1." in reply["reply"] and "2." in reply["reply"]
    assert not Case.objects.exists()
    reply = chat.say("第二个")
    assert listed[1].order_sn in reply["reply"] and "确认" in reply["reply"]
    chat.say("确认")
    assert list(Case.objects.values_list("order__order_sn", flat=True)) == [listed[1].order_sn]


def test_refuses_an_ineligible_request_with_the_rules_reason(market, travel, chat):
    order = market.order(category_name="服装")  # clothes are not in rule 1.2's repair list
    reply = chat.say(f"{order.order_sn} 这个能保修吗 坏了想维修")
    assert reply["intent"] == "repair_request"
    assert "1.2" in reply["reply"]
    assert not Case.objects.exists()


def test_hands_over_an_angry_consumer_with_the_transcript(market, travel, chat):
    order = market.order()
    chat.say(f"{order.order_sn}快递到哪了")
    reply = chat.say("什么垃圾商家！！骗子，三天都不处理😡我要去12315投诉")
    assert reply["handover"] is True
    conversation = Conversation.objects.get(public_id=chat.conversation_id)
    assert conversation.status == "queued"
    assert conversation.handover_priority == 1
    assert conversation.handover_reason in ("angry", "complaint")
    # The agent sees the transcript, intent, slots and emotion
    queue = market.agent.get("/assistant/handovers").json()
    (item,) = queue
    assert [m["sender"] for m in item["messages"]] == [
        "consumer",
        "assistant",
        "consumer",
        "assistant",
    ]
    assert item["state"]["order_sn"] == order.order_sn
    assert item["last_emotion"] >= 60
    assert item["suggestions"]
    # The agent answers; the consumer sees it in the same chat; the bot stays quiet
    market.agent.post(
        f"/assistant/conversations/{chat.conversation_id}/reply",
        {"text": "您好，我是人工客服，马上为您处理"},
    )
    later = chat.say("好的")
    assert later["reply"] is None and later["handover"] is True
    transcript = market.consumer.get(f"/assistant/conversations/{chat.conversation_id}").json()
    assert transcript["messages"][-2]["sender"] == "agent"


def test_asking_for_a_person_hands_over(market, travel, chat):
    reply = chat.say("转人工")
    assert reply["intent"] == "human_agent" and reply["handover"] is True


def test_never_acts_on_another_consumers_order(market, travel, chat):
    theirs = market.order(consumer=market.other_consumer.user, category_name="服装")
    reply = chat.say(f"订单{theirs.order_sn}我要退货退款")
    assert theirs.order_sn in reply["reply"]
    assert "没有在您的账户下找到" in reply["reply"]
    chat.say("确认")
    assert not Case.objects.exists()


def test_cancel_a_request_by_chat(market, travel, chat):
    order = market.order()
    case_no = market.consumer.post(
        "/cases", {"order_sn": order.order_sn, "type": "repair", "reason": "faulty"}
    ).json()["case_no"]
    reply = chat.say("维修申请我不想修了，撤销吧")
    assert reply["intent"] == "cancel_request"
    assert case_no in reply["reply"]
    chat.say("确认")
    assert Case.objects.get(case_no=case_no).status == "cancelled"


def test_urge_shipment_opens_an_inquiry_ticket(market, travel, chat):
    order = market.order(shipped_at=None, received_at=None)
    reply = chat.say("怎么还不发货啊 都两天了")
    assert reply["intent"] == "urge_shipment"
    ticket = Ticket.objects.get(order=order)
    assert (ticket.type, ticket.subtype, ticket.team) == ("inquiry", "urge_shipment", "shop")
    assert ticket.ticket_no in reply["reply"]


def test_policy_answers_name_their_article(market, travel, chat):
    reply = chat.say("退款一般多久能到账啊")
    assert reply["article"] == "refund_timing" or reply["intent"] == "refund_progress"
    reply = chat.say("能开发票吗")
    assert reply["intent"] == "invoice_request"
    assert reply["article"] == "invoices" and "《发票》" in reply["reply"]


def test_no_invented_answer_when_nothing_matches(market, travel, chat):
    reply = chat.say("你们公司的股票代码是多少")
    assert reply["article"] is None
    assert "人工" in reply["reply"]


def test_messages_are_stored_with_intent_and_slots(market, travel, chat):
    order = market.order()
    chat.say(f"{order.order_sn} 到哪了")
    consumer_message = ChatMessage.objects.get(sender="consumer")
    assert consumer_message.slots["order_sn"] == order.order_sn
    assert consumer_message.intent == "logistics_query"


def test_only_consumers_chat_and_bad_input_is_400(market, travel):
    assert market.merchant.post("/assistant/messages", {"text": "hi"}).status_code == 403
    response = market.consumer.post("/assistant/messages", {"text": ""})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "text"
    other = Chat(market.other_consumer)
    other.say("你好")
    stolen = market.consumer.post(
        "/assistant/messages", {"text": "hi", "conversation_id": other.conversation_id}
    )
    assert stolen.status_code == 404


def test_answering_which_order_with_someone_elses_number_files_nothing(market, travel, chat):
    market.order(category_name="鞋靴")
    market.order(category_name="家居日用")
    theirs = market.order(consumer=market.other_consumer.user, category_name="服装")
    reply = chat.say("我要退货，东西不想要了")
    assert "1." in reply["reply"]
    reply = chat.say(theirs.order_sn)
    assert "没有在您的账户下找到" in reply["reply"]
    chat.say("确认")
    assert not Case.objects.exists()


def test_stuck_parcel_on_an_unshipped_order_is_explained_not_an_error(market, travel, chat):
    # Given one paid order the shop has not shipped
    order = market.order(shipped_at=None, received_at=None)
    tickets_before = Ticket.objects.count()
    # When the consumer reports a parcel stuck without updates and confirms the ticket
    first = chat.say("物流三天没更新了")
    assert first["intent"] == "logistics_exception"
    assert order.order_sn in first["reply"] and "确认" in first["reply"]
    reply = chat.say("确认")
    # Then the assistant answers (200) that nothing has shipped, so there is no parcel to
    # chase, and offers what it can do instead: urge the shop, or a refund-only request
    assert order.order_sn in reply["reply"]
    assert "还没有发货" in reply["reply"] and "没有包裹" in reply["reply"]
    assert "催发货" in reply["reply"] and "仅退款" in reply["reply"]
    assert "not_shipped" not in reply["reply"] and "order_sn" not in reply["reply"]
    assert reply["actions"] == []
    # and no ticket was opened
    assert Ticket.objects.count() == tickets_before
    # When they take the offer, the shop is urged about the same order
    urged = chat.say("催发货")
    assert urged["intent"] == "urge_shipment"
    ticket = Ticket.objects.get(order=order)
    assert (ticket.type, ticket.subtype) == ("inquiry", "urge_shipment")
    assert ticket.ticket_no in urged["reply"]

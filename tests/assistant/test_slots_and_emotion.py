"""Slots and the emotion score: pure functions over text."""

from __future__ import annotations

import datetime as dt

from aftersales.assistant import emotion, slots
from tests.factories import T0


def test_order_tracking_phone_amount_date():
    found = slots.extract(
        "订单261126-012345678901234 顺丰单号SF1234567890123 电话13812345678 "
        "付了¥39.9 12月1号收到的",
        now=T0,
    )
    assert found.order_sn == "261126-012345678901234"
    assert found.tracking_no == "SF1234567890123"
    assert found.phone == "13812345678"
    assert found.amount_fen == 3990
    assert found.date == dt.date(2026, 12, 1)


def test_amount_in_yuan_words_and_relative_dates():
    found = slots.extract("退我50块 昨天买的", now=T0)
    assert found.amount_fen == 5000
    assert found.date == dt.date(2026, 11, 30)


def test_full_width_digits_and_last_order():
    found = slots.extract("上一个订单２６１１２６-０１２３４５６７８９０１２３４有问题", now=T0)
    assert found.order_sn == "261126-012345678901234"
    assert found.means_last_order


def test_a_future_month_day_means_last_year():
    assert slots.extract("12月25日买的", now=T0).date == dt.date(2025, 12, 25)


def test_no_false_order_number_in_a_phone_number():
    found = slots.extract("我的手机号13812345678", now=T0)
    assert found.order_sn is None and found.phone == "13812345678"


def test_titles_resolve_the_shoes():
    titles = {"A": "男士运动鞋子 43码", "B": "不锈钢保温杯"}
    assert slots.mentioned_titles("那双鞋子坏了", titles) == ["A"]
    assert slots.mentioned_titles("保温杯漏水", titles) == ["B"]


def test_emotion_scores_anger_and_calm():
    assert emotion.score("你好，请问什么时候发货") == 0
    assert emotion.score("垃圾商家骗子！！！我要打12315😡") >= emotion.HANDOVER_SCORE
    assert 0 < emotion.score("有点着急") < emotion.HANDOVER_SCORE

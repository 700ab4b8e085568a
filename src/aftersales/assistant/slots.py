"""Slots: what a message names (order and tracking numbers, phones, amounts, dates), and which
of the consumer's orders or cases it means ("my last order", "the shoes")."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from aftersales.core.periods import local_date

ORDER_SN = re.compile(r"(?<!\d)(\d{6}-\d{15})(?!\d)")
# Chinese characters count as word characters, so \b would not split "单号SF123"; these
# look only at ASCII letters and digits around the match.
CASE_NO = re.compile(r"(?<![A-Za-z0-9])(AS\d{16})(?![A-Za-z0-9])", re.IGNORECASE)
TRACKING_NO = re.compile(
    r"(?<![A-Za-z0-9])((?:SF|YT|ZTO|JD|JT|YD|EMS|STO)[A-Z0-9]{8,20}|7\d{11,14})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
AMOUNT = re.compile(r"(?:[¥￥]\s*(\d{1,7}(?:\.\d{1,2})?)|(\d{1,7}(?:\.\d{1,2})?)\s*(?:元|块))")
ISO_DATE = re.compile(r"(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})[日号]")
RELATIVE_DAYS = {"今天": 0, "昨天": -1, "前天": -2, "明天": 1, "后天": 2}
LAST_ORDER_WORDS = (
    "上一个订单",
    "上个订单",
    "最近的订单",
    "最近一单",
    "刚买的",
    "刚下的单",
    "最新的订单",
    "last order",
    "latest order",
)


@dataclass
class Slots:
    order_sn: str | None = None
    case_no: str | None = None
    tracking_no: str | None = None
    phone: str | None = None
    amount_fen: int | None = None
    date: dt.date | None = None
    means_last_order: bool = False
    product_words: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "order_sn": self.order_sn,
            "case_no": self.case_no,
            "tracking_no": self.tracking_no,
            "phone": self.phone,
            "amount_fen": self.amount_fen,
            "date": self.date.isoformat() if self.date else None,
        }


def _to_fen(text: str) -> int:
    return int(Decimal(text) * 100)


def extract(text: str, *, now: dt.datetime) -> Slots:
    text = unicodedata.normalize("NFKC", text)
    slots = Slots()
    if match := ORDER_SN.search(text):
        slots.order_sn = match.group(1)
    if match := CASE_NO.search(text):
        slots.case_no = match.group(1).upper()
    if match := TRACKING_NO.search(text.replace(slots.order_sn or "\0", " ")):
        slots.tracking_no = match.group(1).upper()
    if match := PHONE.search(text):
        slots.phone = match.group(1)
    if match := AMOUNT.search(text):
        slots.amount_fen = _to_fen(match.group(1) or match.group(2))
    today = local_date(now)
    if match := ISO_DATE.search(text):
        slots.date = _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    elif match := MONTH_DAY.search(text):
        slots.date = _safe_date(today.year, int(match.group(1)), int(match.group(2)))
        if slots.date and slots.date > today:
            slots.date = _safe_date(today.year - 1, int(match.group(1)), int(match.group(2)))
    else:
        for word, offset in RELATIVE_DAYS.items():
            if word in text:
                slots.date = today + dt.timedelta(days=offset)
                break
    lowered = text.lower()
    slots.means_last_order = any(word in lowered for word in LAST_ORDER_WORDS)
    return slots


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def mentioned_titles(text: str, titles: dict[str, str]) -> list[str]:
    """Order numbers whose item title shares a word of two or more characters with the text
    ("鞋子" finds "男士运动鞋子 43码"). `titles` maps order_sn → item titles."""
    import jieba

    words = {w for w in jieba.lcut(text) if len(w) >= 2}
    hits = []
    for order_sn, title in titles.items():
        title_words = {w for w in jieba.lcut(title) if len(w) >= 2}
        if words & title_words or any(w in title for w in words if len(w) >= 2):
            hits.append(order_sn)
    return hits

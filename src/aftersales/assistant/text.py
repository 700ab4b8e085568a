"""Normalising consumer messages before anything reads them."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Order numbers, tracking numbers and long digit runs carry no intent; masking them keeps the
# classifier from learning digits.
_ORDER_SN = re.compile(r"\d{6}-\d{15}")
_LONG_DIGITS = re.compile(r"[A-Za-z]{0,3}\d{7,}")
_AMOUNT = re.compile(r"[¥￥]?\d+(?:\.\d{1,2})?\s*(?:元|块钱|块|rmb|RMB)?")


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, one space; numbers masked."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _ORDER_SN.sub(" 订单号 ", text)
    text = _LONG_DIGITS.sub(" 单号 ", text)
    text = _AMOUNT.sub(lambda m: " 金额 " if len(m.group(0)) > 1 else m.group(0), text)
    return _SPACES.sub(" ", text).strip()

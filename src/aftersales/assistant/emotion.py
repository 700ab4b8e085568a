"""A score of anger or distress in a message, 0–100, from a weighted lexicon of words,
emoji and punctuation (people are handed over above HANDOVER_SCORE)."""

from __future__ import annotations

import re

HANDOVER_SCORE = 60

LEXICON: dict[str, int] = {
    # anger
    "垃圾": 35,
    "骗子": 45,
    "骗人": 40,
    "坑人": 35,
    "无良": 35,
    "黑心": 40,
    "恶心": 30,
    "气死": 40,
    "滚": 35,
    "他妈": 50,
    "tm": 30,
    "妈的": 45,
    "傻逼": 60,
    "sb": 45,
    "操": 40,
    "投诉": 25,
    "12315": 45,
    "消协": 40,
    "曝光": 35,
    "举报": 30,
    "律师": 35,
    "起诉": 40,
    "报警": 45,
    "再也不": 20,
    "太差": 20,
    "什么玩意": 30,
    "搞什么": 25,
    "耍我": 40,
    "忍无可忍": 50,
    "受够": 40,
    "愤怒": 40,
    "生气": 30,
    "火大": 35,
    # distress
    "急死": 35,
    "着急": 20,
    "崩溃": 45,
    "哭了": 30,
    "绝望": 45,
    "救命": 40,
    "怎么办啊": 20,
    "没办法": 15,
    "求求": 25,
    "急用": 20,
    # emoji
    "😡": 40,
    "🤬": 50,
    "😠": 35,
    "😤": 25,
    "😭": 30,
    "😢": 20,
    "💢": 35,
}
_EXCLAMATIONS = re.compile(r"[!！]{2,}")
_QUESTIONS = re.compile(r"[?？]{3,}")


def score(text: str) -> int:
    lowered = text.lower()
    total = sum(weight for word, weight in LEXICON.items() if word in lowered)
    if _EXCLAMATIONS.search(text):
        total += 15
    if _QUESTIONS.search(text):
        total += 10
    return min(total, 100)

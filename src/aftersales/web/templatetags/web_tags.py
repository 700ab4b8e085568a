from __future__ import annotations

import datetime as dt

from django import template

from aftersales.assistant.presentation import emotion_label
from aftersales.core import clock
from aftersales.core.money import yuan as fen_to_yuan

register = template.Library()


@register.filter
def yuan(amount_fen: int | None) -> str:
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    return f"{sign}¥{fen_to_yuan(abs(amount_fen))}"


@register.filter
def emotion(score: int | None) -> str:
    """An emotion score (0–100) in words."""
    return emotion_label(score)


@register.filter
def label(mapping: dict, key: str) -> str:
    return str(mapping.get(key, key)) if mapping else key


@register.filter
def urgency(due_at: dt.datetime | None) -> str:
    if due_at is None:
        return ""
    left = (due_at - clock.now()).total_seconds()
    return "red" if left <= 2 * 3600 else "amber" if left <= 12 * 3600 else "calm"


@register.filter
def remaining(due_at: dt.datetime | None) -> str:
    """A countdown as text (the page's script keeps it ticking)."""
    if due_at is None:
        return ""
    seconds = int((due_at - clock.now()).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{sign}{days}d {hours:02d}h {minutes:02d}m"
    return f"{sign}{hours:02d}h {minutes:02d}m"

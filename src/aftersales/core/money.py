"""Money is integer fen. Nothing here accepts a float."""

from __future__ import annotations


def fen(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"money must be integer fen, got {type(value).__name__}")
    return value


def percent_of(amount_fen: int, percent: int) -> int:
    """`percent`% of `amount_fen`, rounded down to the fen (rule 2.6 compensation)."""
    return fen(amount_fen) * percent // 100


def yuan(amount_fen: int) -> str:
    """Human display: 12345 → '123.45'."""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(amount_fen), 100)
    return f"{sign}{whole}.{cents:02d}"

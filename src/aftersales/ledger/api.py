"""`/api/v1/shops/{code}/ledger`, `/api/v1/me/coupons`."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from aftersales.catalog.api import access_shop
from aftersales.core.api import ERRORS, bounded_limit, iso, require_role
from aftersales.core.models import Role
from aftersales.ledger.models import Coupon, LedgerEntry

router = Router(tags=["money"])


class EntryOut(Schema):
    id: int
    kind: str
    account: str
    amount_fen: int
    case_no: str | None
    memo: str
    created_at: str


class LedgerOut(Schema):
    shop: str
    balance_fen: int
    security_deposit_fen: int
    items: list[EntryOut]


class CouponOut(Schema):
    id: int
    amount_fen: int
    shop: str
    case_no: str
    rule: str
    issued_at: str
    used_at: str | None


@router.get("/shops/{code}/ledger", response={200: LedgerOut, **ERRORS})
def shop_ledger(request: HttpRequest, code: str, limit: int = 100):
    from aftersales.ledger.services import security_deposit_balance, shop_balance

    shop = access_shop(request.auth, code)  # type: ignore[attr-defined]
    entries = (
        LedgerEntry.objects.filter(shop=shop)
        .select_related("case")
        .order_by("-id")[: bounded_limit(limit, maximum=500)]
    )
    return {
        "shop": shop.code,
        "balance_fen": shop_balance(shop.id),
        "security_deposit_fen": security_deposit_balance(shop.id),
        "items": [
            {
                "id": e.id,
                "kind": e.kind,
                "account": e.account,
                "amount_fen": e.amount_fen,
                "case_no": e.case.case_no if e.case else None,
                "memo": e.memo,
                "created_at": iso(e.created_at),
            }
            for e in entries
        ],
    }


@router.get("/me/coupons", response={200: list[CouponOut], **ERRORS})
def my_coupons(request: HttpRequest):
    user = request.auth  # type: ignore[attr-defined]
    require_role(user, Role.CONSUMER)
    coupons = Coupon.objects.filter(consumer=user).select_related("shop", "case").order_by("-id")
    return [
        {
            "id": c.id,
            "amount_fen": c.amount_fen,
            "shop": c.shop.code,
            "case_no": c.case.case_no,
            "rule": c.rule,
            "issued_at": iso(c.issued_at),
            "used_at": iso(c.used_at),
        }
        for c in coupons
    ]

"""`/api/v1/shops`, `/api/v1/carriers`."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field

from aftersales.catalog import services
from aftersales.catalog.models import Shop
from aftersales.core import idempotency
from aftersales.core.api import ERRORS, require_role
from aftersales.core.errors import NotFound
from aftersales.core.models import Role, User
from aftersales.ledger import services as ledger

router = Router(tags=["shops and carriers"])


class ShopIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,31}$")
    name: str = Field(min_length=1, max_length=100)
    balance_fen: int = Field(default=0, ge=-(10**12), le=10**12)
    # 保证金 paid in at opening; sales income restores it to this amount after deductions.
    security_deposit_fen: int = Field(default=0, ge=0, le=10**12)
    return_address: str = Field(min_length=5, max_length=300)
    promised_after_sales_days: int | None = Field(default=None, ge=1, le=3650)


class ShopOut(Schema):
    code: str
    name: str
    return_address: str
    promised_after_sales_days: int | None
    balance_fen: int
    security_deposit_fen: int
    debt_fen: int


class CarrierIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,31}$")
    name: str = Field(min_length=1, max_length=100)


class CarrierOut(Schema):
    code: str
    name: str


def shop_body(shop: Shop) -> dict:
    balance = ledger.shop_balance(shop.id)
    return {
        "code": shop.code,
        "name": shop.name,
        "return_address": shop.return_address,
        "promised_after_sales_days": shop.promised_after_sales_days,
        "balance_fen": balance,
        "security_deposit_fen": ledger.security_deposit_balance(shop.id),
        "debt_fen": max(-balance, 0),
    }


def access_shop(user: User, code: str) -> Shop:
    """Admins see every shop, merchants their own; anything else is the same 404."""
    shop = Shop.objects.filter(code=code).first()
    visible = shop is not None and (
        user.role == Role.ADMIN or (user.role == Role.MERCHANT and user.shop_id == shop.id)
    )
    if not visible:
        raise NotFound(_("Shop %(c)s not found.") % {"c": code}, field="code")
    assert shop is not None
    return shop


@router.post("/shops", response={201: ShopOut, **ERRORS})
def create_shop(request: HttpRequest, payload: ShopIn):
    user = request.auth  # type: ignore[attr-defined]
    require_role(user, Role.ADMIN)
    status, body = idempotency.run(
        request, user, lambda: (201, shop_body(services.create_shop(**payload.model_dump())))
    )
    return Status(status, body)


@router.get("/shops/{code}", response={200: ShopOut, **ERRORS})
def get_shop(request: HttpRequest, code: str):
    return shop_body(access_shop(request.auth, code))  # type: ignore[attr-defined]


@router.post("/carriers", response={201: CarrierOut, **ERRORS})
def create_carrier(request: HttpRequest, payload: CarrierIn):
    user = request.auth  # type: ignore[attr-defined]
    require_role(user, Role.ADMIN)

    def handler() -> tuple[int, dict]:
        carrier = services.create_carrier(**payload.model_dump())
        return 201, {"code": carrier.code, "name": carrier.name}

    status, body = idempotency.run(request, user, handler)
    return Status(status, body)

"""Writes to users and tokens."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.catalog.models import Carrier, Shop
from aftersales.core import clock
from aftersales.core.auth import issue_token
from aftersales.core.errors import BadRequest, Conflict
from aftersales.core.models import Role, User


def create_user(
    *,
    username: str,
    role: str,
    shop: str | None = None,
    carrier: str | None = None,
    password: str | None = None,
    display_name: str = "",
    now: dt.datetime | None = None,
) -> tuple[User, str]:
    """Create a user of `role` and return it with a new API token."""
    now = now or clock.now()
    if role not in Role.values:
        raise BadRequest(
            _("role must be one of: %(r)s.") % {"r": ", ".join(Role.values)}, field="role"
        )
    shop_row = carrier_row = None
    if role == Role.MERCHANT:
        if not shop:
            raise BadRequest(_("A merchant needs --shop."), field="shop")
        shop_row = Shop.objects.filter(code=shop).first()
        if shop_row is None:
            raise BadRequest(_("Unknown shop %(s)s.") % {"s": shop}, field="shop")
    if role == Role.CARRIER:
        if not carrier:
            raise BadRequest(_("A carrier user needs --carrier."), field="carrier")
        carrier_row = Carrier.objects.filter(code=carrier).first()
        if carrier_row is None:
            raise BadRequest(_("Unknown carrier %(c)s.") % {"c": carrier}, field="carrier")
    try:
        with transaction.atomic():
            user = User(
                username=username,
                role=role,
                shop=shop_row,
                carrier=carrier_row,
                display_name=display_name,
                is_staff=role == Role.ADMIN,
                is_superuser=role == Role.ADMIN,
                date_joined=now,
            )
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
            token = issue_token(user, now=now)
    except IntegrityError as error:
        raise Conflict(
            _("User %(u)s already exists.") % {"u": username}, code="duplicate", field="username"
        ) from error
    return user, token

"""The one access gate for cases (CONVENTIONS 7): "does not exist" and "not yours" are the
same 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from aftersales.cases.models import Case
from aftersales.core.errors import NotFound
from aftersales.core.models import Role, User


def visible_cases(user: User) -> QuerySet[Case]:
    cases = Case.objects.all()
    if user.role in (Role.AGENT, Role.ADMIN):
        return cases
    if user.role == Role.CONSUMER:
        return cases.filter(consumer_id=user.id)
    if user.role == Role.MERCHANT and user.shop_id:
        return cases.filter(shop_id=user.shop_id)
    return cases.none()  # carriers are not parties to after-sales cases


def access_case(user: User, case_no: str, *, for_update: bool = False) -> Case:
    cases = visible_cases(user).select_related("shop")
    if for_update:
        cases = cases.select_for_update(of=("self",))
    case = cases.filter(Q(case_no=case_no)).first()
    if case is None:
        raise NotFound(_("Case %(n)s not found.") % {"n": case_no}, field="case_no")
    return case


def party_of(user: User | None, case: Case) -> str | None:
    """The workflow party `user` plays in `case` (None for the system actor: see services)."""
    if user is None:
        return "system"
    if user.role in (Role.AGENT, Role.ADMIN):
        return "agent"
    if user.role == Role.CONSUMER and case.consumer_id == user.id:
        return "consumer"
    if user.role == Role.MERCHANT and user.shop_id == case.shop_id:
        return "merchant"
    return None

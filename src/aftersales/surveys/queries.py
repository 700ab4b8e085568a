"""Reads of surveys: one subject's survey, what the case page offers, and the results per
shop, agent or type. Averages are integers (stars × 100), never floats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from aftersales.cases.models import Case
from aftersales.core.api import iso, require_role
from aftersales.core.clock import platform_zone
from aftersales.core.errors import BadRequest, NotFound
from aftersales.core.models import Role, User
from aftersales.surveys.models import MAX_STARS, SubjectKind, Survey
from aftersales.surveys.services import resolve_subject

STAR_VALUES = range(1, MAX_STARS + 1)
# Days whose bounds convert to UTC and back without leaving the calendar.
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(9999, 12, 30)
GROUP_KEYS = {"shop": "shop__code", "agent": "agent__username", "type": "type"}


def survey_body(survey: Survey) -> dict[str, Any]:
    return {
        "subject_kind": survey.subject_kind,
        "subject_key": survey.subject_key,
        "type": survey.type,
        "shop": survey.shop.code,
        "agent": survey.agent.username if survey.agent else None,
        "stars": survey.stars,
        "comment": survey.comment,
        "submitted_at": iso(survey.submitted_at),
    }


def get_survey(user: User, *, subject_kind: str, subject_key: str) -> Survey:
    """The survey of a subject `user` may see (its parties, agents, admins), or NotFound."""
    subject = resolve_subject(user, subject_kind=subject_kind, subject_key=subject_key)
    survey = (
        Survey.objects.select_related("shop", "agent")
        .filter(subject_kind=subject.kind, subject_key=subject.key)
        .first()
    )
    if survey is None:
        raise NotFound(_("This request has not been rated yet."), code="survey_not_found")
    return survey


@dataclass(frozen=True)
class CaseSurveyState:
    """What the case page shows about the survey to one viewer."""

    survey: Survey | None
    can_submit: bool

    @property
    def applicable(self) -> bool:
        return self.survey is not None or self.can_submit


def case_survey_state(user: User, case: Case) -> CaseSurveyState:
    """For a case `user` can already see: its survey if any, and whether `user` may rate it
    now (the case's consumer, once it is finished)."""
    survey = (
        Survey.objects.select_related("shop", "agent")
        .filter(subject_kind=SubjectKind.CASE, subject_key=case.case_no)
        .first()
    )
    can_submit = (
        survey is None
        and not case.is_open
        and user.role == Role.CONSUMER
        and case.consumer_id == user.id
    )
    return CaseSurveyState(survey=survey, can_submit=can_submit)


def _visible_surveys(user: User) -> QuerySet[Survey]:
    if user.role in (Role.AGENT, Role.ADMIN):
        return Survey.objects.all()
    if user.role == Role.MERCHANT and user.shop_id:
        return Survey.objects.filter(shop_id=user.shop_id)
    return Survey.objects.none()


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=platform_zone())


def _stats(row: dict[str, Any]) -> dict[str, Any]:
    count, total = row["count"], row["total"] or 0
    return {
        "count": count,
        # Half-up rounding in integers: 4.335 stars is 434.
        "avg_stars_x100": (2 * 100 * total + count) // (2 * count) if count else None,
        "distribution": {str(n): row[f"stars_{n}"] for n in STAR_VALUES},
    }


def summary(
    user: User,
    *,
    group_by: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    subject_kind: str | None = None,
) -> dict[str, Any]:
    """Count, average and distribution of stars per shop, agent or type, over surveys
    submitted between `date_from` and `date_to` (platform-zone days, both included).
    Merchants see their own shop's surveys only; consumers and carriers none."""
    require_role(user, Role.AGENT, Role.ADMIN, Role.MERCHANT)
    key = GROUP_KEYS.get(group_by)
    if key is None:
        raise BadRequest(
            _("group_by must be one of: %(g)s.") % {"g": ", ".join(GROUP_KEYS)}, field="group_by"
        )
    for name, day in (("from", date_from), ("to", date_to)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise BadRequest(
                _("%(f)s must be a date from %(a)s to %(b)s.")
                % {"f": name, "a": FIRST_DAY.isoformat(), "b": LAST_DAY.isoformat()},
                field=name,
            )
    if date_from and date_to and date_from > date_to:
        raise BadRequest(_("from must not be after to."), field="from")
    if subject_kind is not None and subject_kind not in SubjectKind.values:
        raise BadRequest(
            _("subject_kind must be one of: %(k)s.") % {"k": ", ".join(SubjectKind.values)},
            field="subject_kind",
        )
    surveys = _visible_surveys(user)
    if date_from:
        surveys = surveys.filter(submitted_at__gte=_local_midnight(date_from))
    if date_to:
        surveys = surveys.filter(submitted_at__lt=_local_midnight(date_to + dt.timedelta(days=1)))
    if subject_kind:
        surveys = surveys.filter(subject_kind=subject_kind)
    measures = {
        "count": Count("id"),
        "total": Sum("stars"),
        **{f"stars_{n}": Count("id", filter=Q(stars=n)) for n in STAR_VALUES},
    }
    rows = surveys.values(key).annotate(**measures).order_by(key)
    groups = [{"key": row[key], **_stats(row)} for row in rows]
    # Surveys credited to no agent come last when grouping by agent.
    groups.sort(key=lambda g: (g["key"] is None, g["key"] or ""))
    return {
        "group_by": group_by,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "groups": groups,
        "overall": _stats(surveys.aggregate(**measures)),
    }

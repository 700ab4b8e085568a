"""The one write of this package: a consumer rates a finished case (later a ticket).

A subject kind is an entry in SUBJECTS: a function that finds the subject through its access
gate (404 for "does not exist" and "not yours" alike) and describes it as a `Subject`. Adding
tickets is one resolver and one line in SUBJECTS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.cases.access import access_case
from aftersales.core import clock
from aftersales.core.errors import BadRequest, Conflict, Forbidden
from aftersales.core.models import Event, Role, User
from aftersales.surveys.models import MAX_COMMENT_LENGTH, MAX_STARS, SubjectKind, Survey
from aftersales.tickets.access import access_ticket


@dataclass(frozen=True)
class Subject:
    """What a survey needs to know about the thing being rated."""

    kind: str
    key: str
    type: str
    shop_id: int
    consumer_id: int
    is_finished: bool


def resolve_case(user: User, key: str) -> Subject:
    case = access_case(user, key)
    return Subject(
        kind=SubjectKind.CASE,
        key=case.case_no,
        type=case.type,
        shop_id=case.shop_id,
        consumer_id=case.consumer_id,
        # A case in a terminal status (cases.workflows.base.TERMINAL) is no longer open.
        is_finished=not case.is_open,
    )


def resolve_ticket(user: User, key: str) -> Subject:
    ticket = access_ticket(user, key)
    if ticket.consumer_id is None or ticket.shop_id is None:
        # Monitoring and platform-only tickets have no consumer of a shop to ask.
        raise Conflict(_("This ticket has no consumer to rate it."), code="not_surveyable")
    return Subject(
        kind=SubjectKind.TICKET,
        key=ticket.ticket_no,
        type=ticket.type,
        shop_id=ticket.shop_id,
        consumer_id=ticket.consumer_id,
        is_finished=ticket.status == "closed",
    )


SUBJECTS: dict[str, Callable[[User, str], Subject]] = {
    SubjectKind.CASE: resolve_case,
    SubjectKind.TICKET: resolve_ticket,
}


def resolve_subject(user: User, *, subject_kind: str, subject_key: str) -> Subject:
    """The subject `user` may see, or NotFound; BadRequest for an unknown kind."""
    resolver = SUBJECTS.get(subject_kind)
    if resolver is None:
        raise BadRequest(
            _("subject_kind must be one of: %(k)s.") % {"k": ", ".join(SUBJECTS)},
            field="subject_kind",
        )
    return resolver(user, subject_key)


def credited_agent(subject_kind: str, subject_key: str) -> User | None:
    """The last agent or admin who acted on the subject, read from its event chain."""
    actors = list(
        Event.objects.filter(subject_kind=subject_kind, subject_key=subject_key)
        .order_by("-seq")
        .values_list("actor", flat=True)
    )
    staff = {
        user.username: user
        for user in User.objects.filter(username__in=set(actors), role__in=(Role.AGENT, Role.ADMIN))
    }
    return next((staff[actor] for actor in actors if actor in staff), None)


def _check_rating(stars: object, comment: str) -> None:
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= MAX_STARS:
        raise BadRequest(
            _("stars must be a whole number from 1 to %(m)d.") % {"m": MAX_STARS},
            field="stars",
            code="invalid_stars",
        )
    if "\x00" in comment:  # PostgreSQL cannot store it in a text column
        raise BadRequest(
            _("The comment may not contain NUL characters."), field="comment", code="invalid"
        )
    if len(comment) > MAX_COMMENT_LENGTH:
        raise BadRequest(
            _("The comment may be at most %(n)d characters.") % {"n": MAX_COMMENT_LENGTH},
            field="comment",
            code="comment_too_long",
        )


def submit(
    actor: User,
    *,
    subject_kind: str,
    subject_key: str,
    stars: int,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Survey:
    """The subject's consumer rates it once it is finished: 1–5 stars and an optional
    comment. Exactly one survey per subject; the subject itself is not changed."""
    now = now or clock.now()
    subject = resolve_subject(actor, subject_kind=subject_kind, subject_key=subject_key)
    if actor.role != Role.CONSUMER or actor.id != subject.consumer_id:
        raise Forbidden(
            _("Only the consumer who made the request can rate it."), code="forbidden_party"
        )
    comment = (comment or "").strip()
    _check_rating(stars, comment)
    if not subject.is_finished:
        raise Conflict(
            _("You can rate the service once the request is finished."), code="not_closed_yet"
        )
    already = Conflict(_("You have already rated this request."), code="survey_already_submitted")
    if Survey.objects.filter(subject_kind=subject.kind, subject_key=subject.key).exists():
        raise already
    try:
        # The unique constraint decides between two concurrent submissions.
        with transaction.atomic():
            return Survey.objects.create(
                subject_kind=subject.kind,
                subject_key=subject.key,
                type=subject.type,
                shop_id=subject.shop_id,
                consumer=actor,
                agent=credited_agent(subject.kind, subject.key),
                stars=stars,
                comment=comment,
                submitted_at=now,
            )
    except IntegrityError as error:
        raise already from error

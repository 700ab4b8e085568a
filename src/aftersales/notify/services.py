"""Every write of notifications and webhooks: inbox lines, read marks, endpoints and the
outbox rows of the webhook dispatcher.

`case_changed` is the one hook the case services call, inside their transaction, after each
event: the parties' inbox lines and the webhook deliveries commit with the change or not at
all, and the dispatcher sends the deliveries after the commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.cases.presentation import (
    ACTION_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
)
from aftersales.cases.workflows.base import PLATFORM_REVIEW
from aftersales.catalog.models import Shop
from aftersales.core.api import iso
from aftersales.core.errors import BadRequest, NotFound, RuleViolation
from aftersales.core.models import Event, Role, User
from aftersales.core.money import yuan
from aftersales.notify import egress
from aftersales.notify.models import Notification, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from aftersales.cases.models import Case

SYSTEM_ACTOR = "system"

# --- the inbox ------------------------------------------------------------------------------


def notify_users(
    users: Iterable[User],
    *,
    kind: str,
    subject_kind: str,
    subject_key: str,
    title: str,
    body: str,
    now: dt.datetime,
    source_key: str = "",
) -> int:
    """Put one line in each user's inbox. With a `source_key` a user hears of one source
    once, however often this runs. Returns how many users were offered a line."""
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            subject_kind=subject_kind,
            subject_key=subject_key,
            title=title[:200],
            body=body,
            source_key=source_key,
            created_at=now,
        )
        for user in {u.id: u for u in users}.values()
    ]
    # ON CONFLICT DO NOTHING: a repeated source leaves the caller's transaction usable.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def mark_read(user: User, *, notification_id: int, now: dt.datetime) -> Notification:
    """Mark one of the user's notifications read (the first read time is kept)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(id=notification_id, recipient=user)
            .first()
        )
        if notification is None:
            raise NotFound(
                _("Notification %(n)d not found.") % {"n": notification_id},
                field="notification_id",
            )
        if notification.read_at is None:
            notification.read_at = now
            notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user: User, *, now: dt.datetime) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now)


def _party(actor_name: str) -> tuple[str, int | None]:
    """The workflow party behind an event's actor, and the acting user's id."""
    if actor_name == SYSTEM_ACTOR:
        return "system", None
    user = User.objects.filter(username=actor_name).only("id", "role").first()
    if user is None:
        return "system", None
    parties: dict[str, str] = {
        Role.CONSUMER: "consumer",
        Role.MERCHANT: "merchant",
        Role.AGENT: "agent",
        Role.ADMIN: "agent",
    }
    return parties.get(user.role, "system"), user.id


def shop_merchants(shop_id: int) -> list[User]:
    return list(User.objects.filter(role=Role.MERCHANT, shop_id=shop_id, is_active=True))


def platform_agents() -> list[User]:
    return list(User.objects.filter(role=Role.AGENT, is_active=True))


def notify_case_event(
    case: Case,
    *,
    action: str,
    actor_name: str,
    data: dict[str, Any],
    now: dt.datetime,
    source_key: str = "",
) -> int:
    """Tell the parties of a case what just happened to it, never the one who did it.

    - a new request, and anything the consumer does: the shop's merchants;
    - what the merchant does: the consumer;
    - a fired timer (`system`) or a platform agent's step (a ruling): the consumer and the
      shop's merchants;
    - a case entering platform review: every platform agent.

    Lines are written in the platform's language (Chinese). Returns the number of lines.
    """
    party, actor_id = _party(actor_name)
    audience: list[User] = []
    if action == "create" or party == "consumer":
        audience = shop_merchants(case.shop_id)
    elif party == "merchant":
        audience = [case.consumer]
    else:  # system or agent
        audience = [case.consumer, *shop_merchants(case.shop_id)]
    entered_review = data.get("to") == PLATFORM_REVIEW and data.get("from") != PLATFORM_REVIEW
    written = 0
    with translation.override(settings.LANGUAGE_CODE):
        words = {
            "case_no": case.case_no,
            "action": str(ACTION_LABELS.get(action, action)),
            "type": str(TYPE_LABELS.get(case.type, case.type)),
            "status": str(STATUS_LABELS.get(case.status, case.status)),
            "order_sn": case.order.order_sn,
        }
        body = _("%(type)s, order %(order_sn)s. Status: %(status)s.") % words
        if action == "create":
            title = _("New after-sales request %(case_no)s") % words
        elif party == "consumer":
            title = _("Case %(case_no)s: the consumer chose “%(action)s”") % words
        elif party == "merchant":
            title = _("Case %(case_no)s: the merchant chose “%(action)s”") % words
        elif party == "agent" and action == "rule" and data.get("outcome"):
            words["outcome"] = str(OUTCOME_LABELS.get(data["outcome"], data["outcome"]))
            title = _("Case %(case_no)s: the platform ruled “%(outcome)s”") % words
        elif party == "agent":
            title = _("Case %(case_no)s: the platform chose “%(action)s”") % words
        else:
            title = _("Case %(case_no)s: a deadline passed, “%(action)s” applied") % words
        written += notify_users(
            [u for u in audience if u.id != actor_id],
            kind=f"case.{action}",
            subject_kind="case",
            subject_key=case.case_no,
            title=title,
            body=body,
            now=now,
            source_key=source_key,
        )
        if entered_review:
            written += notify_users(
                [u for u in platform_agents() if u.id != actor_id],
                kind="case.platform_review",
                subject_kind="case",
                subject_key=case.case_no,
                title=_("Case %(case_no)s awaits a platform ruling") % words,
                body=body,
                now=now,
                source_key=source_key,
            )
    return written


# --- webhooks -------------------------------------------------------------------------------


def publish(
    *,
    shop_id: int | None,
    event_type: str,
    payload: dict[str, Any],
    event_id: str | int,
    now: dt.datetime,
) -> int:
    """Owe `payload` to every active endpoint of the shop (and every platform-wide one) that
    wants `event_type`: one outbox row per endpoint, in the caller's transaction.

    Nothing is sent here. The rows commit with the change they report, so a rolled-back
    change sends nothing, and a crash after the commit loses nothing: the dispatcher finds
    them. Publishing the same `event_id` again adds nothing. Returns the endpoints owed."""
    mine = Q(shop__isnull=True) if shop_id is None else Q(shop__isnull=True) | Q(shop_id=shop_id)
    endpoints = WebhookEndpoint.objects.filter(mine, active=True)
    rows = [
        WebhookDelivery(
            endpoint=endpoint,
            event_id=str(event_id),
            event_type=event_type,
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints.order_by("id")
        if endpoint.wants(event_type)
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def case_payload(case: Case, event: Event) -> dict[str, Any]:
    """The JSON body of a `case.<action>` webhook."""
    return {
        "case_no": case.case_no,
        "order_sn": case.order.order_sn,
        "shop": case.shop.code,
        "type": case.type,
        "status": case.status,
        "pdd_status": case.pdd_status,
        "version": case.version,
        "action": event.action,
        "actor": event.actor,
        "at": iso(event.at),
        "data": event.data,
    }


def case_changed(case: Case, event: Event, now: dt.datetime) -> None:
    """Called by the case services inside their transaction after appending `event`: the
    parties hear of it in their inbox and the shop's integrations get `case.<action>`."""
    source_key = f"event:{event.id}"
    notify_case_event(
        case,
        action=event.action,
        actor_name=event.actor,
        data=event.data,
        now=now,
        source_key=source_key,
    )
    publish(
        shop_id=case.shop_id,
        event_type=f"case.{event.action}",
        payload=case_payload(case, event),
        event_id=event.id,
        now=now,
    )


def _check_url(url: str, *, allow_private: bool) -> str:
    url = url.strip()
    if len(url) > 500:
        raise BadRequest(_("url must be an http or https address."), field="url")
    try:
        if allow_private:
            egress.parse(url)
        else:
            # Only what the text shows; the address a name resolves to is checked at each
            # delivery (egress.open_connection), where it cannot change before the connect.
            egress.check_registration(url)
    except egress.UnusableURL as error:
        if "credentials" in str(error):
            raise BadRequest(
                _("url must not contain a user name or password."), field="url"
            ) from error
        raise BadRequest(_("url must be an http or https address."), field="url") from error
    except egress.ForbiddenAddress as error:
        # Requests leave from inside the platform: an integration may not aim them at it.
        raise RuleViolation(
            _("url must be a public address."), field="url", code="forbidden_address"
        ) from error
    return url


def new_secret() -> str:
    return f"whsec_{secrets.token_hex(24)}"


def create_endpoint(
    *,
    shop: Shop | None,
    url: str,
    event_types: list[str] | None = None,
    now: dt.datetime,
    allow_private: bool = False,
) -> WebhookEndpoint:
    """Register an integration's URL with a new random secret. Endpoints registered through
    the API must be public addresses; `allow_private` is for the platform's own tooling."""
    url = _check_url(url, allow_private=allow_private)
    types = list(dict.fromkeys(event_types or ["*"]))
    for pattern in types:
        if not pattern or len(pattern) > 60 or " " in pattern:
            raise BadRequest(
                _("event_types must be event names like case.refuse, case.* or *."),
                field="event_types",
            )
    return WebhookEndpoint.objects.create(
        shop=shop,
        url=url,
        secret=new_secret(),
        event_types=types,
        created_at=now,
    )


def message_consumer(actor: User, *, case: Case, text: str, now: dt.datetime) -> int:
    """A merchant or agent writes to the case's consumer (e.g. an edited suggested reply);
    it arrives in the consumer's inbox."""
    text = (text or "").strip()
    if not 1 <= len(text) <= 1000:
        raise BadRequest(_("text must be 1 to 1000 characters."), field="text")
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Message about case %(case_no)s") % {"case_no": case.case_no}
    return notify_users(
        [case.consumer],
        kind="case.message",
        subject_kind="case",
        subject_key=case.case_no,
        title=title,
        body=text,
        now=now,
    )


# --- money warnings -------------------------------------------------------------------------


def shop_balance_warning(case: Case, *, charge: Any, what: str, now: dt.datetime) -> None:
    """A charge to the shop that its sales balance did not cover: the shop's merchants and the
    platform's agents hear of it once per case and kind of charge."""
    parts = []
    if charge.from_deposit_fen:
        parts.append(
            _("¥%(y)s was deducted from the security deposit.")
            % {"y": yuan(charge.from_deposit_fen)}
        )
    if charge.debt_fen:
        parts.append(
            _(
                "¥%(y)s could not be covered and is now owed to the platform; it is settled from "
                "the next sales income."
            )
            % {"y": yuan(charge.debt_fen)}
        )
    title = _("Balance too low for case %(c)s") % {"c": case.case_no}
    notify_users(
        [*shop_merchants(case.shop_id), *platform_agents()],
        kind=f"balance.{what}",
        subject_kind="case",
        subject_key=case.case_no,
        title=str(title),
        body=" ".join(str(p) for p in parts),
        now=now,
        source_key=f"balance:{case.case_no}:{what}",
    )

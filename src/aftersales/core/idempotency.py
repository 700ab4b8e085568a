"""`Idempotency-Key` for writes: the same key and body within 24 h return the first response
and change nothing (spec/api.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from aftersales.core import clock
from aftersales.core.errors import BadRequest, Conflict, DomainError, RuleViolation
from aftersales.core.models import IdempotencyRecord, User

WINDOW = dt.timedelta(hours=24)
Result = tuple[int, dict[str, Any]]


class _AlreadyRecorded(Exception):
    pass


def _request_hash(request: HttpRequest) -> str:
    return hashlib.sha256(
        (request.method or "").encode() + b" " + request.path.encode() + b"\n" + request.body
    ).hexdigest()


def _recorded(user: User, key: str, request_hash: str, now: dt.datetime) -> Result | None:
    record = IdempotencyRecord.objects.filter(
        user=user, key=key, created_at__gte=now - WINDOW
    ).first()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise RuleViolation(
            _("This Idempotency-Key was used with a different request."),
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    return record.status_code, record.response


def run(request: HttpRequest, user: User, handler: Callable[[], Result]) -> Result:
    """Run a write `handler` at most once per (user, Idempotency-Key)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return handler()
    if not 1 <= len(key) <= 200:
        raise BadRequest(_("Idempotency-Key must be 1 to 200 characters."), field="Idempotency-Key")
    request_hash = _request_hash(request)
    now = clock.now()
    try:
        with transaction.atomic():
            replay = _recorded(user, key, request_hash, now)
            if replay is not None:
                return replay
            result = handler()
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.filter(
                        user=user, key=key, created_at__lt=now - WINDOW
                    ).delete()
                    IdempotencyRecord.objects.create(
                        user=user,
                        key=key,
                        request_hash=request_hash,
                        status_code=result[0],
                        response=result[1],
                        created_at=now,
                    )
            except IntegrityError as error:
                raise _AlreadyRecorded from error
            return result
    except (DomainError, _AlreadyRecorded) as error:
        # A concurrent request with the same key may have won; answer as it did.
        replay = _recorded(user, key, request_hash, now)
        if replay is not None:
            return replay
        if isinstance(error, _AlreadyRecorded):
            raise Conflict(
                _("A request with this Idempotency-Key is in progress."),
                code="idempotency_conflict",
                field="Idempotency-Key",
            ) from error
        raise

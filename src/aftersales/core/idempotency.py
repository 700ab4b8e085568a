"""Writes that answer truthfully, and `Idempotency-Key` the way Stripe has it (spec/api.md,
docs/api-robustness.md).

Every write runs in one transaction. Once it has committed, the request remembers its answer
(`request.committed_write`) so that a failure after the commit (rendering the body, a
post-commit hook) is answered as the success it was, not as a 500 a client would retry.

With a key, the caller's first request claims the key (a record in progress), runs, and stores
its answer in the same transaction as the write, so the write and the record commit together
or not at all. A later request with the same key and the same parsed parameters gets that
answer again, marked `Idempotent-Replayed: true`; refusals (4xx) are answers too and replay
the same way. Server errors release the key; a request while the first is still running gets
409 `idempotency_in_progress` and is not remembered."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from aftersales.core import clock
from aftersales.core.errors import BadRequest, Conflict, DomainError, RuleViolation
from aftersales.core.models import IdempotencyRecord, User

WINDOW = dt.timedelta(hours=24)
# A claimed key whose request has run this long has died (gunicorn kills a worker far sooner);
# a retry may then take it over. The conditional completion below still lets only one commit.
IN_PROGRESS_TIMEOUT = dt.timedelta(minutes=2)
IN_PROGRESS = 0  # the status_code of a record whose request is still running
REPLAYED_HEADER = "Idempotent-Replayed"
Result = tuple[int, dict[str, Any]]


class Replayed(Exception):
    """The stored answer to a repeated request; core/api.py renders it as it is."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _canonical(body: bytes) -> bytes:
    """The parameters as parsed: the same JSON with keys reordered or respaced is the same."""
    if not body.strip():
        return b""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return body
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _fingerprint(request: HttpRequest) -> str:
    query = json.dumps(sorted(request.GET.lists()), ensure_ascii=False)
    return hashlib.sha256(
        "\n".join([request.method or "", request.path, query]).encode()
        + b"\n"
        + _canonical(request.body)
    ).hexdigest()


def _in_progress() -> Conflict:
    return Conflict(
        _("A request with this Idempotency-Key is still in progress; retry in a moment."),
        code="idempotency_in_progress",
        field="Idempotency-Key",
    )


def _claim(user: User, key: str, fingerprint: str, now: dt.datetime) -> Result | None:
    """Claim `key` for this request (None), or return the answer it already has."""
    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().filter(user=user, key=key).first()
        if record is not None and record.created_at < now - WINDOW:
            record.delete()
            record = None
        if record is None:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        user=user,
                        key=key,
                        request_hash=fingerprint,
                        status_code=IN_PROGRESS,
                        response={},
                        created_at=now,
                    )
            except IntegrityError as error:  # the same key claimed a moment ago
                raise _in_progress() from error
            return None
        if record.request_hash != fingerprint:
            raise RuleViolation(
                _("This Idempotency-Key was used with a different request."),
                code="idempotency_key_reused",
                field="Idempotency-Key",
            )
        if record.status_code != IN_PROGRESS:
            return record.status_code, record.response
        if record.created_at >= now - IN_PROGRESS_TIMEOUT:
            raise _in_progress()
        record.created_at = now  # its request died: this one takes the key over
        record.save(update_fields=["created_at"])
        return None


def _complete(user: User, key: str, status: int, body: dict[str, Any]) -> None:
    """Store the answer, unless another request completed the key meanwhile (then this
    request's transaction must not commit: raise)."""
    stored = IdempotencyRecord.objects.filter(user=user, key=key, status_code=IN_PROGRESS).update(
        status_code=status, response=body
    )
    if not stored:
        raise _in_progress()


def _release(user: User, key: str) -> None:
    IdempotencyRecord.objects.filter(user=user, key=key, status_code=IN_PROGRESS).delete()


def error_body(error: DomainError) -> dict[str, Any]:
    """The contract's error shape for a domain error (spec/api.md)."""
    return {"error": error.as_dict()}


def _redacted(body: dict[str, Any], secret_fields: Iterable[str]) -> dict[str, Any]:
    hidden = [name for name in secret_fields if name in body]
    if not hidden:
        return body
    return {
        **body,
        **dict.fromkeys(hidden),
        "secret_note": _(
            "The secret was shown once, in the first response to this request, and is not kept "
            "for replays; rotate it if it was lost."
        ),
    }


def _transaction(request: HttpRequest, handler: Callable[[], Result]) -> Result:
    """Run `handler` in one transaction and remember its answer once that has committed."""
    answer: dict[str, Result] = {}

    def committed() -> None:
        request.committed_write = answer["result"]  # type: ignore[attr-defined]

    with transaction.atomic():
        # Registered before the handler's own hooks, so it runs first after the commit and a
        # failing later hook finds the write already known as committed.
        transaction.on_commit(committed)
        answer["result"] = handler()
    request.committed_write = answer["result"]  # type: ignore[attr-defined]
    return answer["result"]


def run(
    request: HttpRequest,
    user: User,
    handler: Callable[[], Result],
    *,
    secret_fields: Iterable[str] = (),
) -> Result:
    """Run a write `handler` once per (caller, Idempotency-Key); without a key, just once.

    Raises Replayed with the stored answer for a repeated request. `secret_fields` of the
    body are answered this time only: the stored answer has them null, with a note."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return _transaction(request, handler)
    if not 1 <= len(key) <= 200:
        raise BadRequest(_("Idempotency-Key must be 1 to 200 characters."), field="Idempotency-Key")
    replay = _claim(user, key, _fingerprint(request), clock.now())
    if replay is not None:
        raise Replayed(*replay)

    def recorded() -> Result:
        status, body = handler()
        _complete(user, key, status, _redacted(body, secret_fields))
        return status, body

    try:
        return _transaction(request, recorded)
    except DomainError as error:
        if error.code == "idempotency_in_progress":
            raise
        # The write rolled back; the refusal is this key's answer from now on.
        _complete(user, key, error.status, error_body(error))
        raise
    except BaseException:
        _release(user, key)  # a server error is not an answer: the client may retry the key
        raise

"""Bearer tokens for the API: created by `aftersales createuser`, stored as sha256."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from aftersales.core.models import ApiToken, User


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, *, now: dt.datetime, label: str = "") -> str:
    token = "as_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=_digest(token), label=label, created_at=now)
    return token


def user_for_token(token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    found = (
        ApiToken.objects.select_related("user", "user__shop")
        .filter(key_hash=_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return found.user if found else None


def revoke(token_id: int, *, user: User, now: dt.datetime) -> bool:
    return bool(
        ApiToken.objects.filter(id=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=now
        )
    )

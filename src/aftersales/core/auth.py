"""Bearer tokens for the API: created by `aftersales createuser`, stored as sha256, valid for
AFTERSALES_TOKEN_LIFETIME_DAYS and scoped read-only or read-write; and the sign-in lockout."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest

from aftersales.core import clock
from aftersales.core.models import ApiToken, TokenScope, User

MAX_TOKEN_LENGTH = 200


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    user: User,
    *,
    now: dt.datetime,
    label: str = "",
    scope: str = TokenScope.WRITE,
    lifetime: dt.timedelta | None = None,
) -> str:
    """A new token for `user`, shown once; it expires `lifetime` (default: the setting) after
    it is handed out. `now` may be a backdated record time (the demo's history): the lifetime
    still counts from the clock, so a token is never born expired."""
    token = "as_" + secrets.token_urlsafe(32)
    lifetime = lifetime or dt.timedelta(days=settings.AFTERSALES_TOKEN_LIFETIME_DAYS)
    ApiToken.objects.create(
        user=user,
        key_hash=digest(token),
        label=label,
        created_at=now,
        expires_at=max(now, clock.now()) + lifetime,
        scope=scope,
    )
    return token


def live_tokens(token: str):
    """The query for `token` if it may be used now: not revoked, not expired, its user active."""
    return ApiToken.objects.filter(
        key_hash=digest(token),
        revoked_at__isnull=True,
        expires_at__gt=clock.now(),
        user__is_active=True,
    )


def user_for_token(token: str) -> User | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    found = live_tokens(token).select_related("user", "user__shop").first()
    return found.user if found else None


def is_read_only(token: str) -> bool:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    return live_tokens(token).filter(scope=TokenScope.READ).exists()


def revoke(token_id: int, *, user: User, now: dt.datetime) -> bool:
    return bool(
        ApiToken.objects.filter(id=token_id, user=user, revoked_at__isnull=True).update(
            revoked_at=now
        )
    )


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for sign-ins over HTTP. A sign-in without a request (the
    test client's login(), a shell) cannot be guessed at from outside, so it is not counted:
    axes' own backend would refuse it outright."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)

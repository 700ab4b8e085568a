"""The v1 API object: bearer authentication, the error shape and shared helpers."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Annotated, Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status
from ninja.security import HttpBearer
from pydantic import AfterValidator

from aftersales.core import idempotency
from aftersales.core.auth import user_for_token
from aftersales.core.clock import platform_zone
from aftersales.core.errors import BadRequest, DomainError, Forbidden
from aftersales.core.models import User


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return user_for_token(token)


def _plausible_instant(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time zone offset, e.g. 2026-12-01T20:00:00+08:00")
    if not 1970 <= value.year <= 2200:
        raise ValueError("must be between the years 1970 and 2200")
    return value


# Times in the API: aware, and within a range where every time zone conversion is defined.
ApiDateTime = Annotated[dt.datetime, AfterValidator(_plausible_instant)]


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None = None
    rule: str | None = None


class ErrorOut(Schema):
    error: ErrorBody


ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409, 422)}

logger = logging.getLogger(__name__)
# The fields that name what a write created, kept when its full answer cannot be rendered.
_IDENTIFYING = ("case_no", "ticket_no", "order_sn", "conversation_id", "code", "id", "version")


def committed_answer(request: HttpRequest, status: int, body: Any) -> HttpResponse:
    """What is known of a committed write whose answer failed after the commit: its status,
    the created object's number and, for a creation, where to read it."""
    known = {k: body[k] for k in _IDENTIFYING if isinstance(body, dict) and k in body}
    number = next((v for k, v in known.items() if k != "version"), None)
    response = JsonResponse(
        {**known, "committed": True, "detail": _("Saved; read it again for the full record.")},
        status=status,
    )
    if status == 201 and number is not None:
        response["Location"] = f"{request.path.rstrip('/')}/{number}"
    if "version" in known:
        response["ETag"] = f'"{known["version"]}"'
    return response


class AftersalesApi(NinjaAPI):
    def on_exception(self, request: HttpRequest, exc: Any) -> HttpResponse:
        committed = getattr(request, "committed_write", None)
        if committed is not None:
            # The write is in the database: a 500 now would make the client retry it.
            logger.error(
                "answer to a committed write failed: %s %s",
                request.method,
                request.path,
                exc_info=exc,
            )
            return committed_answer(request, *committed)
        return super().on_exception(request, exc)

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        if getattr(request, "committed_write", None) is not None:
            # Rendered: from here on a failure is the server's, not the write's.
            request.committed_write = None  # type: ignore[attr-defined]
        return response


api = AftersalesApi(
    title="Aftersales API",
    version="1",
    description="After-sales cases, orders and money for e-commerce marketplaces.",
    auth=BearerAuth(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    rule: str | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message, "field": field}
    if rule:
        body["rule"] = rule
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.field, exc.rule)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "unauthorized", _("A valid bearer token is required."), "Authorization"
    )


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    # loc is (where, [parameter name,] field...): drop the prefix by position, not by name,
    # so that a field called "body" is still named.
    location = [str(p) for p in first.get("loc", ())]
    if location[:1] in (["body"], ["query"], ["path"]):
        location = location[1:]
    if location[:1] == ["payload"]:
        location = location[1:]
    field = ".".join(location) or None
    message = first.get("msg", "invalid request")
    return error_response(
        request, 400, "invalid", f"{field}: {message}" if field else message, field
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
    }.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, str(exc.message))


@api.exception_handler(idempotency.Replayed)
def _replayed(request: HttpRequest, exc: idempotency.Replayed) -> HttpResponse:
    response = api.create_response(request, exc.body, status=exc.status)
    response[idempotency.REPLAYED_HEADER] = "true"
    if exc.status < 400 and "version" in exc.body:
        response["ETag"] = f'"{exc.body["version"]}"'
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


def with_etag(response: HttpResponse, body: dict[str, Any]) -> dict[str, Any]:
    """A versioned body's version as its ETag (clients send it back in If-Match)."""
    response["ETag"] = f'"{body["version"]}"'
    return body


def versioned_write(
    request: HttpRequest, response: HttpResponse, handler: Callable[[], tuple[int, dict]]
) -> Status:
    """Run a write once per Idempotency-Key and answer with the body's version as ETag."""
    status, body = idempotency.run(request, request.auth, handler)  # type: ignore[attr-defined]
    return Status(status, with_etag(response, body))


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden(_("Your role may not do this."), code="forbidden_role")


def iso(value: dt.datetime | None) -> str | None:
    """Times out of the API: ISO 8601 with the platform zone's offset."""
    return value.astimezone(platform_zone()).isoformat() if value else None


_VERSION = re.compile(r'^(?:W/)?(?:"(\d{1,9})"|(\d{1,9}))$')


def parse_if_match(request: HttpRequest) -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        return None
    match = _VERSION.match(header.strip())
    if not match:
        raise BadRequest(_("If-Match must be the case version, e.g. 3."), field="If-Match")
    return int(match.group(1) or match.group(2))


def bounded_limit(limit: int, *, maximum: int = 100) -> int:
    if limit < 1 or limit > maximum:
        raise BadRequest(_("limit must be between 1 and %(m)d.") % {"m": maximum}, field="limit")
    return limit


def encode_cursor(prefix: str, row_id: int) -> str:
    """An opaque cursor for "rows older than `row_id`"; the prefix names the list."""
    return base64.urlsafe_b64encode(f"{prefix}{row_id}".encode()).decode().rstrip("=")


def decode_cursor(prefix: str, cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(prefix):
            raise ValueError(raw)
        return int(raw[len(prefix) :])
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(_("cursor is not valid."), field="cursor") from error

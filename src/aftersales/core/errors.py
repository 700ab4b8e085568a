"""Typed domain errors. The API maps each to its HTTP status and the contract's error shape."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        rule: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule
        # The facts behind the message (limits, amounts in fen), so that a console can word
        # it for its own page: its labels, yuan. Not part of the API's error body.
        self.params: dict[str, Any] = params or {}
        if code:
            self.code = code

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message, "field": self.field}
        if self.rule:
            body["rule"] = self.rule
        return body


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RuleViolation(DomainError):
    status = 422
    code = "rule_violation"

"""`/api/v1/cases`: thin handlers that parse, call one service, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from aftersales.cases import queries, services
from aftersales.cases.access import access_case
from aftersales.cases.schemas import ActionIn, CaseCreateIn, CaseOut, CasePage
from aftersales.core.api import (
    ERRORS,
    ApiDateTime,
    bounded_limit,
    parse_if_match,
    versioned_write,
    with_etag,
)

router = Router(tags=["cases"])


class CaseFilters(Schema):
    status: str | None = None
    type: str | None = None
    shop: str | None = None
    updated_after: ApiDateTime | None = None
    cursor: str | None = None
    limit: int = 20


@router.post("/cases", response={201: CaseOut, **ERRORS})
def create_case(request: HttpRequest, response: HttpResponse, payload: CaseCreateIn):
    user = request.auth  # type: ignore[attr-defined]

    def handler() -> tuple[int, dict]:
        case = services.create_case(user, **payload.model_dump(exclude_none=False))
        return 201, queries.get_case_body(user, case)

    return versioned_write(request, response, handler)


@router.get("/cases", response={200: CasePage, **ERRORS})
def list_cases(request: HttpRequest, filters: Query[CaseFilters]):
    return queries.list_cases(
        request.auth,  # type: ignore[attr-defined]
        status=filters.status,
        type=filters.type,
        shop=filters.shop,
        updated_after=filters.updated_after,
        cursor=filters.cursor,
        limit=bounded_limit(filters.limit),
    )


@router.get("/cases/{case_no}", response={200: CaseOut, **ERRORS})
def get_case(request: HttpRequest, response: HttpResponse, case_no: str):
    user = request.auth  # type: ignore[attr-defined]
    return with_etag(response, queries.get_case_body(user, access_case(user, case_no)))


@router.post("/cases/{case_no}/actions/{action}", response={200: CaseOut, **ERRORS})
def take_action(
    request: HttpRequest,
    response: HttpResponse,
    case_no: str,
    action: str,
    payload: ActionIn | None = None,
):
    user = request.auth  # type: ignore[attr-defined]
    fields_in = payload.model_dump(exclude_unset=True) if payload else {}
    expected_version = parse_if_match(request)

    def handler() -> tuple[int, dict]:
        case = services.perform_action(
            user,
            case_no=case_no,
            action=action,
            fields_in=fields_in,
            expected_version=expected_version,
        )
        return 200, queries.get_case_body(user, case)

    return versioned_write(request, response, handler)

"""`/api/v1/cases/{case_no}/survey` and `/api/v1/surveys/summary`."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field

from aftersales.core import idempotency
from aftersales.core.api import ERRORS
from aftersales.surveys import queries, services
from aftersales.surveys.models import SubjectKind

router = Router(tags=["surveys"])


class SurveyIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    stars: int
    comment: str = ""


class SurveyOut(Schema):
    subject_kind: str
    subject_key: str
    type: str
    shop: str
    agent: str | None
    stars: int
    comment: str
    submitted_at: str


class SummaryFilters(Schema):
    group_by: str
    date_from: dt.date | None = Field(default=None, alias="from")
    date_to: dt.date | None = Field(default=None, alias="to")
    subject_kind: str | None = None


class StatsOut(Schema):
    count: int
    avg_stars_x100: int | None
    distribution: dict[str, int]


class GroupOut(StatsOut):
    key: str | None


class SummaryOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    group_by: str
    date_from: str | None = Field(alias="from")
    date_to: str | None = Field(alias="to")
    groups: list[GroupOut]
    overall: StatsOut


@router.post("/cases/{case_no}/survey", response={201: SurveyOut, **ERRORS})
def submit_case_survey(request: HttpRequest, case_no: str, payload: SurveyIn):
    user = request.auth  # type: ignore[attr-defined]

    def handler() -> tuple[int, dict]:
        survey = services.submit(
            user,
            subject_kind=SubjectKind.CASE,
            subject_key=case_no,
            stars=payload.stars,
            comment=payload.comment,
        )
        return 201, queries.survey_body(survey)

    return Status(*idempotency.run(request, user, handler))


@router.get("/cases/{case_no}/survey", response={200: SurveyOut, **ERRORS})
def get_case_survey(request: HttpRequest, case_no: str):
    user = request.auth  # type: ignore[attr-defined]
    survey = queries.get_survey(user, subject_kind=SubjectKind.CASE, subject_key=case_no)
    return queries.survey_body(survey)


@router.post("/tickets/{ticket_no}/survey", response={201: SurveyOut, **ERRORS})
def submit_ticket_survey(request: HttpRequest, ticket_no: str, payload: SurveyIn):
    user = request.auth  # type: ignore[attr-defined]

    def handler() -> tuple[int, dict]:
        survey = services.submit(
            user,
            subject_kind=SubjectKind.TICKET,
            subject_key=ticket_no,
            stars=payload.stars,
            comment=payload.comment,
        )
        return 201, queries.survey_body(survey)

    return Status(*idempotency.run(request, user, handler))


@router.get("/tickets/{ticket_no}/survey", response={200: SurveyOut, **ERRORS})
def get_ticket_survey(request: HttpRequest, ticket_no: str):
    user = request.auth  # type: ignore[attr-defined]
    survey = queries.get_survey(user, subject_kind=SubjectKind.TICKET, subject_key=ticket_no)
    return queries.survey_body(survey)


@router.get("/surveys/summary", response={200: SummaryOut, **ERRORS}, by_alias=True)
def survey_summary(request: HttpRequest, filters: Query[SummaryFilters]):
    return queries.summary(
        request.auth,  # type: ignore[attr-defined]
        group_by=filters.group_by,
        date_from=filters.date_from,
        date_to=filters.date_to,
        subject_kind=filters.subject_kind,
    )

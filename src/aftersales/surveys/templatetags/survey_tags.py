"""What the case page's survey panel needs, so the page's presenter need not know surveys."""

from __future__ import annotations

from typing import Any

from django import template

from aftersales.surveys.models import MAX_STARS
from aftersales.surveys.queries import case_survey_state
from aftersales.surveys.views import SurveyForm

register = template.Library()


@register.simple_tag(takes_context=True)
def case_survey(context: template.Context) -> dict[str, Any] | None:
    """The survey of the page's `case` and, for its consumer once it is finished and not yet
    rated, the form (the bound `survey_form` of a failed submission when there is one)."""
    case = context.get("case")
    request = context.get("request")
    user = getattr(request, "user", None)
    if case is None or user is None or not user.is_authenticated:
        return None
    state = case_survey_state(user, case)
    submitted = context.get("survey_form")
    # A refused submission's reason stays visible even when the form no longer applies
    # (rated meanwhile, or the case not finished).
    errors = submitted.non_field_errors() if submitted is not None else []
    if not state.applicable and not errors:
        return None
    form = (submitted or SurveyForm()) if state.can_submit else None
    return {"survey": state.survey, "form": form, "errors": errors if form is None else []}


@register.filter
def stars(count: int) -> str:
    return "★" * count + "☆" * (MAX_STARS - count)

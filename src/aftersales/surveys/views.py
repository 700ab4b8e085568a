"""The survey form on the case page: the consumer rates a finished case."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from aftersales.cases.access import access_case
from aftersales.core.errors import DomainError, Forbidden, NotFound
from aftersales.core.models import User
from aftersales.surveys import services
from aftersales.surveys.models import MAX_COMMENT_LENGTH, SubjectKind
from aftersales.web.presenters import case_context

STAR_LABELS = {
    5: gettext_lazy("Very satisfied"),
    4: gettext_lazy("Satisfied"),
    3: gettext_lazy("Neither satisfied nor dissatisfied"),
    2: gettext_lazy("Dissatisfied"),
    1: gettext_lazy("Very dissatisfied"),
}


class SurveyForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=list(STAR_LABELS.items()),
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SignedInRequest(HttpRequest):
    """What login_required and the htmx middleware guarantee."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


@login_required
@require_POST
def case_survey(request: SignedInRequest, case_no: str) -> HttpResponse:
    try:
        case = access_case(request.user, case_no)
    except NotFound as error:
        raise Http404 from error
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            services.submit(
                request.user,
                subject_kind=SubjectKind.CASE,
                subject_key=case.case_no,
                stars=form.cleaned_data["stars"],
                comment=form.cleaned_data["comment"],
            )
        except Forbidden as error:
            raise PermissionDenied(error.message) from error
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            if request.htmx:
                return render(request, "surveys/_survey_panel.html", {"case": case})
            messages.success(request, _("Thank you for rating the service."))
            return redirect("web:case", case_no=case.case_no)
    if request.htmx:
        return render(request, "surveys/_survey_panel.html", {"case": case, "survey_form": form})
    # Without htmx: the whole case page again, keeping what the person typed.
    context = case_context(case, request.user, with_chain=request.user.role in ("agent", "admin"))
    context["survey_form"] = form
    return render(request, "web/case_detail.html", context, status=422)

"""The case page every party shares, its action forms, and its attachments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.cases import services
from aftersales.cases.access import access_case
from aftersales.cases.models import Attachment
from aftersales.cases.presentation import ACTION_LABELS
from aftersales.core.errors import DomainError, NotFound
from aftersales.web.errors import add_to_form, stale_message
from aftersales.web.forms import ActionForm
from aftersales.web.presenters import case_context
from aftersales.web.requests import AuthedRequest
from aftersales.web.uploads import serve_upload


def _render_case(request: AuthedRequest, case, *, forms=None, status: int = 200) -> HttpResponse:
    # htmx swaps the panel on 409 and 422 too (static/web/app.js).
    context = case_context(
        case, request.user, forms=forms, with_chain=request.user.role in ("agent", "admin")
    )
    template = "web/partials/case_panel.html" if request.htmx else "web/case_detail.html"
    return render(request, template, context, status=status)


@login_required
def case_detail(request: AuthedRequest, case_no: str) -> HttpResponse:
    try:
        case = access_case(request.user, case_no)
    except NotFound as error:
        raise Http404 from error
    return _render_case(request, case)


@login_required
@require_POST
def case_action(request: AuthedRequest, case_no: str, action: str) -> HttpResponse:
    try:
        case = access_case(request.user, case_no)
    except NotFound as error:
        raise Http404 from error
    try:
        form = ActionForm(request.POST, request.FILES, action=action, case=case)
    except KeyError as error:
        raise Http404 from error
    if form.is_valid():
        try:
            services.perform_action(
                request.user,
                case_no=case_no,
                action=action,
                fields_in=form.workflow_fields(),
                expected_version=form.cleaned_data["version"],
                evidence_files=form.cleaned_data.get("evidence") or None,
            )
        except DomainError as error:
            if error.code == "stale_version":
                # Another tab or person acted since this form was shown: say what the case
                # is now, with the fresh panel, and keep nothing of the old form.
                case.refresh_from_db()
                messages.error(request, stale_message(case))
                return _render_case(request, case, status=409)
            add_to_form(form, error, case=case)
        else:
            messages.success(request, _("%(a)s: done.") % {"a": ACTION_LABELS.get(action, action)})
            if request.htmx:
                case.refresh_from_db()
                return _render_case(request, case)
            return redirect("web:case", case_no=case_no)
    # Keep what the person typed: the same form, with its errors, on the case page.
    case.refresh_from_db()
    return _render_case(request, case, forms={action: form}, status=422)


@login_required
def attachment(request: AuthedRequest, public_id: str) -> FileResponse:
    found = Attachment.objects.filter(public_id=public_id).select_related("case").first()
    if found is None or found.case is None:
        raise Http404
    try:
        access_case(request.user, found.case.case_no)
    except NotFound as error:
        raise Http404 from error
    return serve_upload(found)

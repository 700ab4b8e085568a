"""Sign-in, the home page per role, profile with API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core import clock
from aftersales.core.auth import issue_token, revoke
from aftersales.core.models import ApiToken, User
from aftersales.web.requests import AuthedRequest

DEMO_ACCOUNTS = [
    ("consumer1", "consumer"),
    ("merchant1", "merchant"),
    ("courier-sf", "carrier"),
    ("agent", "agent"),
    ("admin", "admin"),
]

HOME_BY_ROLE = {
    "consumer": "web:consumer-orders",
    "merchant": "web:merchant-queue",
    "agent": "web:platform-review",
    "admin": "web:platform-review",
    "carrier": "web:tickets",
}


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        present = set(
            User.objects.filter(username__in=[u for u, _r in DEMO_ACCOUNTS]).values_list(
                "username", flat=True
            )
        )
        context["demo_accounts"] = [(u, r) for u, r in DEMO_ACCOUNTS if u in present]
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


def home(request: AuthedRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:login")
    return redirect(HOME_BY_ROLE.get(request.user.role, "web:profile"))


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("-id")
    new_token = request.session.pop("new_token", None)
    return render(request, "web/profile.html", {"tokens": tokens, "new_token": new_token})


@login_required
@require_POST
def create_token(request: AuthedRequest) -> HttpResponse:
    label = request.POST.get("label", "")[:60]
    # Shown once, on the next page; only its hash is kept.
    request.session["new_token"] = issue_token(request.user, now=clock.now(), label=label)
    return redirect("web:profile")


@login_required
@require_POST
def revoke_token(request: AuthedRequest, token_id: int) -> HttpResponse:
    if revoke(token_id, user=request.user, now=clock.now()):
        messages.success(request, _("The token has been revoked."))
    return redirect("web:profile")

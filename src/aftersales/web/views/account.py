"""Sign-in, the home page per role, profile with API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core import clock
from aftersales.core.auth import issue_token, revoke
from aftersales.core.models import ApiToken, TokenScope, User
from aftersales.core.ratelimits import address_key, retry_after
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


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out username+address (AXES_LOCKOUT_CALLABLE), and the
    sign-in's answer to an address over its rate limit: 429 with the wait."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    response = render(request, "web/locked_out.html", {"cooloff_minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # Many usernames from one address (password spraying) pass axes' per-username lock.
        if retry_after(request, "login", address_key) is not None:
            return locked_out(request)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The demo's shared password is advertised only in demo mode (make run).
        if not settings.AFTERSALES_DEMO:
            context["demo_accounts"] = []
            return context
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
    scope = request.POST.get("scope", TokenScope.WRITE)
    if scope not in TokenScope.values:
        scope = TokenScope.WRITE
    # Shown once, on the next page; only its hash is kept.
    request.session["new_token"] = issue_token(
        request.user, now=clock.now(), label=label, scope=scope
    )
    return redirect("web:profile")


@login_required
@require_POST
def revoke_token(request: AuthedRequest, token_id: int) -> HttpResponse:
    if revoke(token_id, user=request.user, now=clock.now()):
        messages.success(request, _("The token has been revoked."))
    return redirect("web:profile")

"""The admin site is for operators with the `admin` role only (not merely is_staff)."""

from django.contrib import admin
from django.http import HttpRequest


def has_admin_role(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_authenticated and getattr(user, "role", "") == "admin")


admin.site.has_permission = has_admin_role  # type: ignore[method-assign]
admin.site.site_header = "Aftersales 运营后台"
admin.site.site_title = "Aftersales"

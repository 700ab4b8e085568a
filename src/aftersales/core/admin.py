from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from aftersales.core.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "role", "shop", "carrier", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Aftersales", {"fields": ("role", "display_name", "shop", "carrier")}),
    )


from aftersales.core import adminsite  # noqa: E402,F401  (restricts the site to admins)

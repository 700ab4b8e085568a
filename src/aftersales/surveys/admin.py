from django.contrib import admin
from django.http import HttpRequest

from aftersales.surveys.models import Survey


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Read-only: surveys are written by surveys.services.submit alone."""

    list_display = ("subject_kind", "subject_key", "type", "shop", "agent", "stars", "submitted_at")
    list_filter = ("subject_kind", "stars", "type")
    search_fields = ("subject_key", "comment")
    date_hierarchy = "submitted_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Survey | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Survey | None = None) -> bool:
        return False

"""Operators edit routing rules and SLA targets here; both are data the ticket services read
on each new ticket (tickets/routing.py, tickets/sla.py)."""

from django.contrib import admin

from aftersales.tickets.models import RoutingRule, SlaTarget


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "position",
        "name",
        "active",
        "ticket_type",
        "subtype",
        "category",
        "min_amount_fen",
        "shop_code",
        "region",
        "min_recent_contacts",
        "team",
        "priority",
        "raise_priority_by",
    )
    list_display_links = ("name",)
    list_editable = ("position", "active")
    list_filter = ("active", "ticket_type", "team", "priority")
    search_fields = ("name", "subtype", "category", "shop_code", "region")
    ordering = ("position", "id")


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = (
        "ticket_type",
        "priority",
        "first_response_hours",
        "resolution_hours",
        "resolution_days",
        "warn_before_minutes",
    )
    list_filter = ("ticket_type", "priority")
    ordering = ("ticket_type", "priority")

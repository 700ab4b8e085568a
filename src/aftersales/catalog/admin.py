from django.contrib import admin

from aftersales.catalog.models import Carrier, Category, Shop


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "promised_after_sales_days", "created_at")
    search_fields = ("code", "name")


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "repairable",
        "excluded_from_no_reason_return",
        "national_warranty_days",
        "platform_rule_days",
    )
    list_filter = ("repairable", "excluded_from_no_reason_return")
    search_fields = ("name",)

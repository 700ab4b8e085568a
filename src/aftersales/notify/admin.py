from django.contrib import admin

from aftersales.core import clock
from aftersales.notify import services
from aftersales.notify.models import Notification, WebhookDelivery, WebhookEndpoint


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "subject_key", "title", "created_at", "read_at")
    list_filter = ("kind", "subject_kind")
    search_fields = ("subject_key", "recipient__username")
    raw_id_fields = ("recipient",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "shop", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "shop__code")
    exclude = ("secret",)  # signing keys stay out of pages

    def save_model(self, request, obj, form, change) -> None:
        if not obj.secret:
            obj.secret = services.new_secret()
        if not obj.created_at:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type")
    search_fields = ("event_id", "endpoint__url")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

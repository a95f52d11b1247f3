"""The staff's view of webhook deliveries: what each provider sent, and what became of it.

Rows are read-only: a delivery is evidence of what a provider said. The one
change is the replay action, the same service `manage.py webhooks replay`
runs, for a delivery whose handler failed and that its provider gave up on.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from webhooks.models import Delivery
from webhooks.services import delivery_replay


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("received_at", "provider", "event_type", "status", "attempts", "processed_at", "key")
    list_filter = ("provider", "status")
    search_fields = ("=key", "event_type__startswith")
    date_hierarchy = "received_at"
    ordering = ("-received_at",)
    show_full_result_count = False
    list_per_page = 100
    fields = ("provider", "key", "event_type", "status", "attempts", "received_at", "processed_at", "error", "payload")
    readonly_fields = fields
    actions = ("replay",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Run the selected deliveries' handlers again (they are idempotent)")
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        outcomes = [delivery_replay(delivery=delivery) for delivery in queryset]
        failed = [delivery for delivery in outcomes if delivery.status == Delivery.Status.FAILED]
        self.message_user(request, f"Ran {len(outcomes)} again; {len(failed)} failed.", messages.INFO)

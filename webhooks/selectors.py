from __future__ import annotations

from django.db.models import QuerySet

from webhooks.models import Delivery


def delivery_list(*, provider: str | None = None, status: str | None = None) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.all()
    if provider:
        deliveries = deliveries.filter(provider=provider)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries

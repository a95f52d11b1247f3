"""Recording deliveries: each event's effect happens once, however often and however concurrently it arrives."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import transaction

from todaysmeet import clock
from todaysmeet.metrics import record_webhook_delivery
from webhooks.handlers import Ignored, handler_for
from webhooks.models import Delivery

logger = logging.getLogger(__name__)

KEY_MAX = Delivery._meta.get_field("key").max_length
EVENT_TYPE_MAX = Delivery._meta.get_field("event_type").max_length


def delivery_key(*parts: object) -> str:
    """A dedupe key from the fields that identify an event; hashed if it would not fit the column."""
    key = ":".join(str(part) for part in parts)
    if len(key) > KEY_MAX:
        return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def delivery_receive(*, provider: str, key: str, event_type: str, payload: dict[str, Any]) -> tuple[Delivery, bool]:
    """Record a delivery and apply its effect, unless an earlier copy already settled it.

    Returns the delivery and whether this call ran its handler. Two copies
    arriving at once meet on the (provider, key) row: the second waits for the
    first's transaction, then finds it settled and does nothing.
    """
    with transaction.atomic():
        Delivery.objects.bulk_create(
            [Delivery(provider=provider, key=key, event_type=event_type[:EVENT_TYPE_MAX], payload=payload)],
            ignore_conflicts=True,
        )
        delivery = Delivery.objects.select_for_update().get(provider=provider, key=key)
        ran = not delivery.is_settled
        if ran:
            _run_handler(delivery)
    record_webhook_delivery(provider, delivery.status if ran else "repeated")
    return delivery, ran


def delivery_replay(*, delivery: Delivery) -> Delivery:
    """Run a recorded delivery's handler again, whatever its status; handlers are idempotent."""
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        _run_handler(locked)
    return locked


def _run_handler(delivery: Delivery) -> None:
    delivery.attempts += 1
    try:
        # A savepoint: a failing handler's writes are undone, and the failure is still recorded.
        with transaction.atomic():
            handler_for(delivery.provider)(delivery.payload)
    except Ignored as reason:
        delivery.status, delivery.error = Delivery.Status.IGNORED, str(reason)
    except Exception as exception:
        logger.exception("webhook %s %s (%s) failed", delivery.provider, delivery.key, delivery.event_type)
        delivery.status, delivery.error = Delivery.Status.FAILED, f"{type(exception).__name__}: {exception}"
    else:
        delivery.status, delivery.error = Delivery.Status.PROCESSED, ""
    delivery.processed_at = clock.now()
    delivery.save(update_fields=["attempts", "status", "error", "processed_at"])

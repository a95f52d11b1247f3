"""What Stripe's webhook events do (called by the webhooks recorder, inside its transaction).

Events arrive late, twice and out of order. A subscription event is only a
hint that something changed: the subscription is read from Stripe again and
stored as it is now. `invoice.paid` and `invoice.payment_succeeded` (Stripe
sends both; localstripe only the second) are one effect, kept once per invoice.
"""

from __future__ import annotations

from typing import Any

from accounts.emails import teacher_email_send_on_commit
from accounts.models import SentEmail
from billing import services
from billing.models import Customer
from billing.stripe_api import StripeSession, timestamp
from webhooks.handlers import Ignored

SUBSCRIPTION_EVENTS = frozenset(
    {"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"}
)
INVOICE_PAID_EVENTS = frozenset({"invoice.paid", "invoice.payment_succeeded"})
INVOICE_FAILED_EVENT = "invoice.payment_failed"


def stripe_event_handle(event: dict[str, Any]) -> None:
    event_type = event.get("type")
    data = (event.get("data") or {}).get("object") or {}
    if event_type in SUBSCRIPTION_EVENTS:
        customer = _customer_of(data)
        services.subscription_sync(
            customer=customer, subscription_id=data["id"], stripe=StripeSession(), last_known=data
        )
    elif event_type in INVOICE_PAID_EVENTS:
        _invoice_paid(data)
    elif event_type == INVOICE_FAILED_EVENT:
        _invoice_payment_failed(data)
    else:
        # Stripe sends whatever the endpoint subscribes to; answering 200 stops it resending.
        raise Ignored(f"{event_type} is not an event todaysmeet acts on")


def _customer_of(data: dict[str, Any]) -> Customer:
    customer = Customer.objects.select_related("teacher").filter(stripe_id=data.get("customer") or "").first()
    if customer is None:
        # Another application's customer on the same Stripe account, or one we deleted.
        raise Ignored(f"customer {data.get('customer')} is not a teacher here")
    return customer


def _invoice_paid(data: dict[str, Any]) -> None:
    # `status` is in every API version; the `paid` boolean only in some.
    if data.get("status") != "paid" and data.get("paid") is not True:
        raise Ignored(f"invoice {data.get('id')} is not paid")
    customer = _customer_of(data)
    services.invoice_record(customer=customer, data=data)
    services.invoice_subscription_sync(customer=customer, data=data, stripe=StripeSession())


def _invoice_payment_failed(data: dict[str, Any]) -> None:
    customer = _customer_of(data)
    teacher_email_send_on_commit(
        teacher=customer.teacher,
        kind=SentEmail.Kind.PAYMENT_FAILED,
        context={
            "amount_due": data.get("amount_due") or 0,
            "currency": (data.get("currency") or "usd").lower(),
            "next_attempt": timestamp(data.get("next_payment_attempt")),
            "invoice_url": data.get("hosted_invoice_url") or "",
        },
    )
    services.invoice_subscription_sync(customer=customer, data=data, stripe=StripeSession())

"""Every change to a teacher's billing: subscribing, cancelling, and following Stripe's state.

Stripe is the source of truth for subscriptions. A customer's row lock
serialises everything that reads a subscription from Stripe and stores it
(the subscribe and cancel requests, and the webhooks), so what commits last
was read last.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from accounts.emails import teacher_email_send_on_commit
from accounts.models import SentEmail, Teacher
from billing.models import Customer, Invoice, Subscription
from billing.selectors import LIVE_STATUSES, subscription_current
from billing.stripe_api import StripeSession, invoice_subscription_id, subscription_period_end, timestamp
from todaysmeet import clock
from todaysmeet.errors import Conflict, Invalid, NotFound, PaymentRequired

PAYMENT_METHOD_PATTERN = re.compile(r"pm_[A-Za-z0-9_]{1,250}")


def clean_payment_method(value: object) -> str:
    if not isinstance(value, str) or not PAYMENT_METHOD_PATTERN.fullmatch(value):
        raise Invalid(gettext("payment_method must be a Stripe payment method id (pm_…)."), field="payment_method")
    return value


def _refuse_if_subscribed(customer: Customer | None) -> None:
    if customer is not None and customer.subscriptions.filter(status__in=LIVE_STATUSES).exists():
        raise Conflict(gettext("You already have the Teacher Tools plan."), code="already_subscribed")


def customer_ensure(*, teacher: Teacher, stripe: StripeSession) -> tuple[Customer, bool]:
    """The teacher's Stripe customer, and whether it was made now.

    Made and committed before anything is charged, so that a webhook about a
    subscription that is still being set up already finds its teacher.
    """
    existing = Customer.objects.filter(teacher=teacher).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        # Two first subscribes at once make one customer: the second waits here.
        Teacher.objects.select_for_update().get(pk=teacher.pk)
        existing = Customer.objects.filter(teacher=teacher).first()
        if existing is not None:
            return existing, False
        return Customer.objects.create(teacher=teacher, stripe_id=stripe.customer_create(teacher=teacher)), True


def setup_intent_create(*, teacher: Teacher) -> str:
    """A SetupIntent for the card form (its client secret): Stripe.js collects and checks the card with it."""
    stripe = StripeSession()
    customer = Customer.objects.filter(teacher=teacher).first()
    _refuse_if_subscribed(customer)
    customer, _ = customer_ensure(teacher=teacher, stripe=stripe)
    return stripe.setup_intent_create(customer_id=customer.stripe_id)


def subscription_start(*, teacher: Teacher, payment_method: object) -> Subscription:
    """Subscribe the teacher to the plan, paying with `payment_method`.

    A declined card leaves nothing behind: a customer made for this attempt
    is deleted again. Stripe unreachable leaves the customer (a subscription
    Stripe may have made after all must still find its teacher), but no
    subscription and no change to the plan.
    """
    cleaned_payment_method = clean_payment_method(payment_method)
    _refuse_if_subscribed(Customer.objects.filter(teacher=teacher).first())
    stripe = StripeSession()
    customer, made_now = customer_ensure(teacher=teacher, stripe=stripe)
    try:
        with transaction.atomic():
            locked = Customer.objects.select_for_update().get(pk=customer.pk)
            # Again under the lock: of two subscribes at once, the second gets 409.
            _refuse_if_subscribed(locked)
            stripe.payment_method_make_default(customer_id=locked.stripe_id, payment_method=cleaned_payment_method)
            data = stripe.subscription_create(
                customer_id=locked.stripe_id,
                price_id=settings.STRIPE_PRICE_ID,
                # The same card retried after a lost answer gets the same subscription.
                idempotency_key=f"subscribe-{locked.stripe_id}-{cleaned_payment_method}",
            )
            return _subscription_store(locked, data)
    except (PaymentRequired, Invalid):
        if made_now:
            _customer_forget(customer, stripe)
        raise


def _customer_forget(customer: Customer, stripe: StripeSession) -> None:
    """Undo a customer made for an attempt that failed for sure (a declined or unusable card)."""
    try:
        stripe.customer_delete(customer_id=customer.stripe_id)
    except Exception:
        # It has no subscription; keeping our row keeps it mapped to the teacher.
        return
    customer.delete()


def subscription_cancel(*, teacher: Teacher, cancel: bool = True) -> Subscription:
    """Cancel the plan at the end of the paid period (cancel=False: keep it after all)."""
    stripe = StripeSession()
    customer = Customer.objects.filter(teacher=teacher).first()
    current = subscription_current(customer) if customer else None
    if current is None or current.status not in LIVE_STATUSES:
        raise NotFound(gettext("You have no Teacher Tools plan to change."), code="no_subscription")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if current.cancel_at_period_end == cancel:
            return current
        try:
            data = stripe.subscription_cancel_at_period_end(subscription_id=current.stripe_id, cancel=cancel)
        except NotFound:
            # Stripe ended it before its event reached us.
            raise NotFound(gettext("You have no Teacher Tools plan to change."), code="no_subscription") from None
        return _subscription_store(locked, data)


def subscription_sync(
    *, customer: Customer, subscription_id: str, stripe: StripeSession, last_known: dict[str, Any] | None = None
) -> Subscription | None:
    """Store the subscription as Stripe has it now; returns it (None if Stripe and we both never heard of it).

    `last_known` (an event's payload) stands in only when Stripe no longer
    has the subscription, which happens to long-deleted ones.
    """
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        data = stripe.subscription_retrieve(subscription_id=subscription_id)
        if data is None:
            if last_known is None or last_known.get("status") != Subscription.Status.CANCELED:
                return Subscription.objects.filter(stripe_id=subscription_id).first()
            data = last_known
        if data.get("customer") != locked.stripe_id:
            raise Invalid(gettext("Subscription %(id)s belongs to another customer.") % {"id": subscription_id})
        return _subscription_store(locked, data)


def _subscription_store(customer: Customer, data: dict[str, Any]) -> Subscription:
    """Write Stripe's description of a subscription over ours (the caller holds the customer's lock)."""
    now = clock.now()
    status = data["status"]
    fields = {
        "status": status,
        "current_period_end": timestamp(subscription_period_end(data)),
        # Newer API versions cancel "at period end" by setting cancel_at.
        "cancel_at_period_end": bool(data.get("cancel_at_period_end") or data.get("cancel_at")),
        "synced_at": now,
    }
    subscription = Subscription.objects.filter(stripe_id=data["id"]).first()
    if subscription is None:
        subscription = Subscription(
            customer=customer, stripe_id=data["id"], started_at=timestamp(data.get("start_date") or data["created"])
        )
        previous_status = None
    else:
        previous_status = subscription.status
    for field, value in fields.items():
        setattr(subscription, field, value)
    if status != Subscription.Status.PAST_DUE:
        subscription.past_due_since = None
    elif subscription.past_due_since is None:
        subscription.past_due_since = now
    subscription.save()
    if status == Subscription.Status.CANCELED and previous_status not in (None, Subscription.Status.CANCELED):
        teacher_email_send_on_commit(teacher=customer.teacher, kind=SentEmail.Kind.PLAN_CANCELED)
    return subscription


def invoice_record(*, customer: Customer, data: dict[str, Any]) -> tuple[Invoice, bool]:
    """Keep a paid invoice and email its receipt, once per invoice; returns it and whether it is new."""
    paid_at = (data.get("status_transitions") or {}).get("paid_at") or data.get("created")
    invoice, created = Invoice.objects.get_or_create(
        stripe_id=data["id"],
        defaults={
            "customer": customer,
            "number": data.get("number") or "",
            "amount_paid": data.get("amount_paid") or 0,
            "currency": (data.get("currency") or "usd").lower(),
            "paid_at": timestamp(paid_at),
            "hosted_invoice_url": data.get("hosted_invoice_url") or "",
        },
    )
    if created:
        teacher_email_send_on_commit(
            teacher=customer.teacher, kind=SentEmail.Kind.RECEIPT, context={"invoice": invoice}
        )
    return invoice, created


def invoice_subscription_sync(*, customer: Customer, data: dict[str, Any], stripe: StripeSession) -> None:
    """Refresh the subscription an invoice bills: paying or failing to pay it may have changed its status."""
    subscription_id = invoice_subscription_id(data)
    if subscription_id:
        subscription_sync(customer=customer, subscription_id=subscription_id, stripe=stripe)

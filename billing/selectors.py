from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import Teacher
from billing.models import Customer, Invoice, Subscription
from todaysmeet import clock

# Stripe retries a failed renewal for about a week; the tools stay on meanwhile.
PAST_DUE_GRACE = timedelta(days=7)
ACCESS_STATUSES = frozenset({Subscription.Status.ACTIVE, Subscription.Status.TRIALING})
# A subscription in one of these is still going: subscribing again is a conflict.
LIVE_STATUSES = frozenset(
    {
        Subscription.Status.ACTIVE,
        Subscription.Status.TRIALING,
        Subscription.Status.PAST_DUE,
        Subscription.Status.UNPAID,
        Subscription.Status.INCOMPLETE,
        Subscription.Status.PAUSED,
    }
)


@dataclass(frozen=True)
class Plan:
    """What a teacher has: billing on or off, their current subscription, and whether the tools are theirs."""

    billing_enabled: bool
    subscription: Subscription | None
    tools_unlocked: bool


def subscription_gives_access(subscription: Subscription, *, now: datetime) -> bool:
    # Cancelled at period end: over when the period is, even before Stripe's event says so.
    if subscription.cancel_at_period_end and subscription.current_period_end and now >= subscription.current_period_end:
        return False
    if subscription.status in ACCESS_STATUSES:
        return True
    if subscription.status == Subscription.Status.PAST_DUE:
        return subscription.past_due_since is None or now - subscription.past_due_since < PAST_DUE_GRACE
    return False


def subscription_current(customer: Customer) -> Subscription | None:
    """The subscription that speaks for the customer: the newest that gives access, else the newest at all."""
    subscriptions = list(customer.subscriptions.all())
    now = clock.now()
    return next((sub for sub in subscriptions if subscription_gives_access(sub, now=now)), None) or next(
        iter(subscriptions), None
    )


def plan_for_teacher(*, teacher: Teacher) -> Plan:
    if not settings.BILLING_ENABLED:
        # Self-hosted: nobody pays, every tool is everyone's.
        return Plan(billing_enabled=False, subscription=None, tools_unlocked=True)
    customer = Customer.objects.filter(teacher=teacher).first()
    subscription = subscription_current(customer) if customer else None
    unlocked = subscription is not None and subscription_gives_access(subscription, now=clock.now())
    return Plan(billing_enabled=True, subscription=subscription, tools_unlocked=unlocked)


def invoice_list(*, teacher: Teacher) -> QuerySet[Invoice]:
    return Invoice.objects.filter(customer__teacher=teacher)

from __future__ import annotations

from django.conf import settings
from django.db import models

from todaysmeet import clock


class Customer(models.Model):
    """A teacher's Stripe customer, made on their first subscribe and kept from then on."""

    teacher = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_customer")
    stripe_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.stripe_id} ({self.teacher})"


class Subscription(models.Model):
    """A Stripe subscription as Stripe last described it.

    Rows are written from the subscription Stripe returns when asked, never
    from an event's payload, under the customer's row lock: whatever commits
    last was read last, so an old event can't bring back an old state.
    """

    class Status(models.TextChoices):
        # Stripe's own values.
        ACTIVE = "active"
        TRIALING = "trialing"
        PAST_DUE = "past_due"
        UNPAID = "unpaid"
        INCOMPLETE = "incomplete"
        INCOMPLETE_EXPIRED = "incomplete_expired"
        CANCELED = "canceled"
        PAUSED = "paused"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    stripe_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=18)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # When we first saw it past_due: the plan keeps its tools for a grace
    # period from then, while Stripe retries the card.
    past_due_since = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    synced_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_id}: {self.status}"


class Invoice(models.Model):
    """A paid Stripe invoice: the teacher's receipt. One row per invoice, however many events announce it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="invoices")
    stripe_id = models.CharField(max_length=255, unique=True)
    number = models.CharField(max_length=64, blank=True)
    # In the currency's smallest unit (cents), as Stripe counts.
    amount_paid = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    paid_at = models.DateTimeField()
    # Stripe's page for the invoice and its PDF; empty where Stripe gives none.
    hosted_invoice_url = models.URLField(max_length=1000, blank=True)
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-paid_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_id}: {self.amount_paid} {self.currency}"

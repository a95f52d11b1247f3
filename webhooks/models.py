from __future__ import annotations

from django.db import models

from todaysmeet import clock


class Delivery(models.Model):
    """One event a provider sent us, kept so that a repeat of it has no second effect.

    The row and the event's effect commit in one transaction: a delivery that
    is `processed` or `ignored` did all it will ever do, and a `failed` one did
    nothing and runs again when the provider retries.
    """

    class Provider(models.TextChoices):
        STRIPE = "stripe"
        MANDRILL = "mandrill"
        MAILCHIMP = "mailchimp"

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        IGNORED = "ignored"
        FAILED = "failed"

    provider = models.CharField(max_length=16, choices=Provider.choices)
    # What the provider repeats when it sends the same event again: Stripe's
    # event id, or the fields a Mandrill or Mailchimp event is known by.
    key = models.CharField(max_length=255)
    event_type = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=clock.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    payload = models.JSONField()
    # Why it was ignored, or what went wrong when it failed.
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "key"], name="webhook_delivery_unique")]
        indexes = [models.Index(fields=["provider", "status"], name="webhook_provider_status_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type or self.key} ({self.status})"

    @property
    def is_settled(self) -> bool:
        """Whether a repeat of this delivery must be left alone."""
        return self.status in (self.Status.PROCESSED, self.Status.IGNORED)

"""The one module that talks to Stripe.

Every call of one request (or one webhook) shares a time budget,
STRIPE_TIMEOUT_SECONDS: each is given what is left of it as its timeout, and
none is retried, so a teacher hears "billing unavailable" within 10 s however
slow or unreachable Stripe is. Stripe's errors come out as our ServiceErrors.

Stripe answers in the shape of the API version stripe-python asks for, and
localstripe (the tests' stand-in) in its 2017 one; the readers below take
both (see docs/billing.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Teacher
from todaysmeet.errors import Invalid, NotFound, PaymentRequired, Unavailable

logger = logging.getLogger(__name__)

# Below this, a call can't succeed: give up before starting it.
CALL_SECONDS_MIN = 0.25
UNAVAILABLE_MESSAGE = gettext_lazy("Billing is unavailable right now; nothing was changed. Try again in a minute.")


class StripeSession:
    """The Stripe calls of one request, sharing one deadline."""

    def __init__(self, *, seconds: float | None = None) -> None:
        self.deadline = time.monotonic() + (seconds if seconds is not None else settings.STRIPE_TIMEOUT_SECONDS)

    def _client(self) -> stripe.StripeClient:
        remaining = self.deadline - time.monotonic()
        if remaining < CALL_SECONDS_MIN:
            raise Unavailable(UNAVAILABLE_MESSAGE, code="billing_unavailable")
        # A client per call, since a call's timeout is what is left of the budget.
        return stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=remaining),
        )

    # --- Customers ---------------------------------------------------------
    def customer_create(self, *, teacher: Teacher) -> str:
        with _translated_errors():
            customer = self._client().v1.customers.create(
                params={"email": teacher.email, "metadata": {"teacher_id": str(teacher.pk)}}
            )
        return customer.id

    def customer_delete(self, *, customer_id: str) -> None:
        with _translated_errors():
            self._client().v1.customers.delete(customer_id)

    def payment_method_make_default(self, *, customer_id: str, payment_method: str) -> None:
        """Attach the card to the customer and charge it for their invoices from now on."""
        try:
            with _translated_errors():
                self._client().v1.payment_methods.attach(payment_method, params={"customer": customer_id})
        except NotFound:
            raise Invalid(gettext("That card can't be used. Enter it again."), field="payment_method") from None
        with _translated_errors():
            self._client().v1.customers.update(
                customer_id, params={"invoice_settings": {"default_payment_method": payment_method}}
            )

    def setup_intent_create(self, *, customer_id: str) -> str:
        """A SetupIntent for the card form; returns its client secret."""
        with _translated_errors():
            intent = self._client().v1.setup_intents.create(
                params={"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"]}
            )
        return intent.client_secret

    # --- Subscriptions -----------------------------------------------------
    def subscription_create(self, *, customer_id: str, price_id: str, idempotency_key: str) -> dict[str, Any]:
        with _translated_errors():
            subscription = self._client().v1.subscriptions.create(
                # `plan` rather than `price`: Stripe takes a price id there too,
                # and localstripe knows no prices.
                params={
                    "customer": customer_id,
                    "items": [{"plan": price_id}],
                    # A card that fails the first charge fails the call, and
                    # leaves no incomplete subscription behind.
                    "payment_behavior": "error_if_incomplete",
                },
                options={"idempotency_key": idempotency_key},
            )
        return subscription.to_dict()

    def subscription_retrieve(self, *, subscription_id: str) -> dict[str, Any] | None:
        """The subscription as Stripe has it now; None if Stripe has no such subscription."""
        try:
            with _translated_errors():
                subscription = self._client().v1.subscriptions.retrieve(subscription_id)
        except NotFound:
            return None
        return subscription.to_dict()

    def subscription_cancel_at_period_end(self, *, subscription_id: str, cancel: bool) -> dict[str, Any]:
        with _translated_errors():
            subscription = self._client().v1.subscriptions.update(
                subscription_id, params={"cancel_at_period_end": cancel}
            )
        return subscription.to_dict()

    # --- Catalogue (manage.py billing_setup) -------------------------------
    def product_ensure(self, *, product_id: str, name: str) -> bool:
        """Make the product unless it exists; whether it was made."""
        with _translated_errors():
            try:
                self._client().v1.products.retrieve(product_id)
                return False
            except stripe.InvalidRequestError as error:
                if error.http_status != 404:
                    raise
            self._client().v1.products.create(params={"id": product_id, "name": name})
        return True

    def prices_for_product(self, *, product_id: str) -> list[dict[str, Any]]:
        with _translated_errors():
            plans = self._client().v1.plans.list(params={"product": product_id, "active": True, "limit": 100})
        return [plan.to_dict() for plan in plans.data]

    def price_create(self, *, product_id: str, amount: int, currency: str, interval: str, nickname: str) -> str:
        with _translated_errors():
            plan = self._client().v1.plans.create(
                params={
                    "product": product_id,
                    "amount": amount,
                    "currency": currency,
                    "interval": interval,
                    "nickname": nickname,
                }
            )
        return plan.id


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except stripe.CardError as error:
        raise PaymentRequired(
            error.user_message or gettext("Your card was declined."), code="card_declined", decline_code=error.code
        ) from None
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            raise NotFound(
                error.user_message or gettext("Stripe has no such object."), code="stripe_not_found"
            ) from None
        if error.param == "payment_method" or (error.code or "").startswith("payment_method"):
            raise Invalid(gettext("That card can't be used. Enter it again."), field="payment_method") from None
        logger.error("Stripe refused a request: %s", error)
        raise Unavailable(UNAVAILABLE_MESSAGE, code="billing_unavailable") from None
    except stripe.StripeError as error:
        # Unreachable, too slow, rate limited, a 5xx, or a key Stripe refuses.
        logger.warning("Stripe call failed: %s: %s", type(error).__name__, error)
        raise Unavailable(UNAVAILABLE_MESSAGE, code="billing_unavailable") from None


def timestamp(value: object) -> datetime | None:
    """A Stripe Unix time as an aware datetime (None stays None)."""
    if value is None:
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def subscription_period_end(subscription: dict[str, Any]) -> int | None:
    """The end of the paid period: on the subscription in older API versions, on its items in newer ones."""
    if subscription.get("current_period_end"):
        return subscription["current_period_end"]
    items = (subscription.get("items") or {}).get("data") or []
    ends = [item["current_period_end"] for item in items if item.get("current_period_end")]
    return max(ends) if ends else None


def invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    """The subscription an invoice bills: a field in older API versions, under `parent` in newer ones."""
    if isinstance(invoice.get("subscription"), str):
        return invoice["subscription"]
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = details.get("subscription")
    return subscription if isinstance(subscription, str) else None

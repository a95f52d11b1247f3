"""`manage.py billing_setup`: make the Teacher Tools product and its monthly price in Stripe, once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.stripe_api import StripeSession
from todaysmeet.errors import ServiceError

PRODUCT_ID = "todaysmeet-teacher-tools"
PRODUCT_NAME = "Teacher Tools"
PRICE_NICKNAME = "Teacher Tools, monthly"
INTERVAL = "month"
# A few calls to Stripe, from a terminal: more patience than a page has.
SETUP_SECONDS = 30


class Command(BaseCommand):
    help = (
        "Create the Teacher Tools product and its monthly price in Stripe, unless they exist, and print the "
        "price id for STRIPE_PRICE_ID. Running it again changes nothing."
    )
    # It is how STRIPE_PRICE_ID is made, so it can't wait for the checks that require it.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--amount", type=int, default=500, help="in the currency's smallest unit (default 500)")
        parser.add_argument("--currency", default="usd", help="ISO code (default usd)")

    def handle(self, *args: Any, amount: int, currency: str, **options: Any) -> None:
        if not settings.BILLING_ENABLED:
            raise CommandError("Set STRIPE_SECRET_KEY first (and STRIPE_API_BASE to use a stand-in).")
        if amount < 1:
            raise CommandError("--amount must be at least 1.")
        currency = currency.lower()
        stripe = StripeSession(seconds=SETUP_SECONDS)
        try:
            made_product = stripe.product_ensure(product_id=PRODUCT_ID, name=PRODUCT_NAME)
            price_id = next(
                (
                    price["id"]
                    for price in stripe.prices_for_product(product_id=PRODUCT_ID)
                    if price.get("amount") == amount
                    and price.get("currency") == currency
                    and price.get("interval") == INTERVAL
                    and (price.get("interval_count") or 1) == 1
                ),
                None,
            )
            made_price = price_id is None
            if made_price:
                price_id = stripe.price_create(
                    product_id=PRODUCT_ID, amount=amount, currency=currency, interval=INTERVAL, nickname=PRICE_NICKNAME
                )
        except ServiceError as failure:
            raise CommandError(f"Stripe: {failure.message}") from None
        self.stdout.write(f"product {PRODUCT_ID}: {'created' if made_product else 'already there'}")
        self.stdout.write(
            f"price {price_id} ({amount} {currency} a {INTERVAL}): {'created' if made_price else 'already there'}"
        )
        self.stdout.write(f"STRIPE_PRICE_ID={price_id}")

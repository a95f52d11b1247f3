"""manage.py billing_setup: the product and its monthly price, made once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.management.commands.billing_setup import PRODUCT_ID

pytestmark = pytest.mark.django_db


def billing_setup(*args: str) -> list[str]:
    out = StringIO()
    call_command("billing_setup", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_makes_a_monthly_five_dollar_price_and_prints_its_id(stripe_standin, settings):
    # stripe_standin ran it once already, on an empty localstripe.
    [price] = stripe_standin.request("GET", f"/v1/plans?product={PRODUCT_ID}")["data"]
    assert (price["amount"], price["currency"], price["interval"]) == (500, "usd", "month")
    assert price["id"] == settings.STRIPE_PRICE_ID
    assert stripe_standin.request("GET", f"/v1/products/{PRODUCT_ID}")["name"] == "Teacher Tools"


def test_running_it_again_changes_nothing(stripe_standin, settings):
    lines = billing_setup()

    assert lines == [
        f"product {PRODUCT_ID}: already there",
        f"price {settings.STRIPE_PRICE_ID} (500 usd a month): already there",
        f"STRIPE_PRICE_ID={settings.STRIPE_PRICE_ID}",
    ]
    assert len(stripe_standin.request("GET", f"/v1/plans?product={PRODUCT_ID}")["data"]) == 1


def test_another_amount_is_another_price(stripe_standin, settings):
    lines = billing_setup("--amount", "700", "--currency", "EUR")

    assert lines[1].endswith("(700 eur a month): created")
    assert lines[2] != f"STRIPE_PRICE_ID={settings.STRIPE_PRICE_ID}"


def test_it_refuses_to_run_with_billing_off(settings):
    settings.BILLING_ENABLED = False

    with pytest.raises(CommandError, match="STRIPE_SECRET_KEY"):
        billing_setup()


def test_it_says_so_when_stripe_is_unreachable(stripe_standin, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    with pytest.raises(CommandError, match="unavailable"):
        billing_setup()

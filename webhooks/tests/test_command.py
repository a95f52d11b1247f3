"""manage.py webhooks list|replay"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.servers import free_port
from webhooks.models import Delivery
from webhooks.tests.senders import MAILCHIMP_SECRET, mailchimp_post, stripe_event, stripe_post

pytestmark = pytest.mark.django_db


def webhooks(*args: str) -> str:
    out = StringIO()
    call_command("webhooks", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def deliveries(settings, owner) -> list[Delivery]:
    """A processed Mailchimp event and an ignored Stripe one."""
    settings.MAILCHIMP_WEBHOOK_SECRET = MAILCHIMP_SECRET
    settings.BILLING_ENABLED = True
    settings.STRIPE_SECRET_KEY = "sk_test_todaysmeet"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_todaysmeet_tests"
    client = Client()
    mailchimp_post(client, "subscribe", owner.obj.email, fired_at="2001-01-01 00:00:00")
    stripe_post(client, stripe_event("product.created", {"id": "prod_1"}, event_id="evt_product"))
    return list(Delivery.objects.order_by("pk"))


def test_list_shows_the_newest_first(deliveries):
    lines = webhooks("list").splitlines()

    assert len(lines) == 2
    assert "stripe" in lines[0] and "ignored" in lines[0] and "evt_product" in lines[0]
    assert "mailchimp" in lines[1] and "processed" in lines[1] and "subscribe" in lines[1]


def test_list_filters_by_provider_and_status(deliveries):
    assert "evt_product" in webhooks("list", "--provider", "stripe")
    assert "mailchimp" not in webhooks("list", "--provider", "stripe")
    assert webhooks("list", "--status", "failed") == ""
    assert "mailchimp" in webhooks("list", "--status", "processed")


def test_list_as_json_has_every_field(deliveries):
    records = json.loads(webhooks("list", "--json", "--provider", "stripe"))

    assert [record["key"] for record in records] == ["evt_product"]
    record = records[0]
    assert record["status"] == "ignored"
    assert record["error"].startswith("product.created is not an event")
    assert record["payload"]["id"] == "evt_product"
    assert set(record) >= {"id", "provider", "event_type", "attempts", "received_at", "processed_at"}


def test_replay_runs_a_delivery_again(deliveries, api, owner):
    api.patch("/api/me", {"newsletter": False}, token=owner.token)
    mailchimp = deliveries[0]

    output = webhooks("replay", str(mailchimp.pk))

    assert output.strip() == f"{mailchimp.pk} mailchimp subscribe: processed"
    mailchimp.refresh_from_db()
    assert mailchimp.attempts == 2
    # The teacher chose since the event was fired, and replaying does not undo that.
    assert api.get("/api/me", token=owner.token).body["newsletter"] is False


def test_replay_of_a_failed_delivery_reports_the_failure(api, owner, stripe_standin, settings):
    api.post("/api/billing/subscription", {"payment_method": "pm_card_visa"}, token=owner.token)
    subscription = stripe_standin.request("GET", "/v1/subscriptions")["data"][0]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    stripe_post(Client(), stripe_event("customer.subscription.updated", subscription))
    failed = Delivery.objects.get(status="failed")

    with pytest.raises(CommandError, match="failed again"):
        webhooks("replay", str(failed.pk))

    settings.STRIPE_API_BASE = stripe_standin.url
    assert webhooks("replay", str(failed.pk)).strip().endswith("processed")


def test_replay_of_an_unknown_id_is_an_error(db):
    with pytest.raises(CommandError, match="no webhook delivery 999"):
        webhooks("replay", "999")

"""What Stripe's events do, delivered signed to /webhooks/stripe/, with localstripe as Stripe."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.test import Client

from accounts.models import SentEmail
from billing.models import Customer, Invoice, Subscription
from tests.servers import free_port
from webhooks.models import Delivery
from webhooks.tests.senders import stripe_event, stripe_post

# Emails go out on commit, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def subscribed(api, owner, stripe_standin) -> dict:
    """The owner subscribed through the API; Stripe's current description of the subscription."""
    assert api.post("/api/billing/subscription", {"payment_method": "pm_card_visa"}, token=owner.token).status == 201
    mail.outbox.clear()
    return stripe_standin.request("GET", f"/v1/subscriptions/{Subscription.objects.get().stripe_id}")


def paid_invoice(customer_id: str, invoice_id: str = "in_test1", **fields) -> dict:
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer_id,
        "status": "paid",
        "number": "TM-0001",
        "amount_paid": 500,
        "currency": "usd",
        "status_transitions": {"paid_at": int(time.time())},
        **fields,
    }


def plan(api, owner) -> dict:
    return api.get("/api/me", token=owner.token).body["plan"]


def test_a_paid_invoice_is_kept_and_its_receipt_emailed(client, api, owner, subscribed):
    customer_id = subscribed["customer"]

    response = stripe_post(client, stripe_event("invoice.paid", paid_invoice(customer_id)))

    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    invoices = api.get("/api/billing/invoices", token=owner.token).body["invoices"]
    assert [(i["id"], i["amount_paid"], i["currency"]) for i in invoices] == [("in_test1", 500, "usd")]
    assert invoices[0]["paid_at"]
    [receipt] = mail.outbox
    assert receipt.to == [owner.obj.email]
    assert "5.00 USD" in receipt.subject
    assert "TM-0001" in receipt.body


def test_invoice_paid_and_payment_succeeded_for_one_invoice_make_one_receipt(client, subscribed):
    invoice = paid_invoice(subscribed["customer"])

    stripe_post(client, stripe_event("invoice.payment_succeeded", invoice))
    stripe_post(client, stripe_event("invoice.paid", invoice))

    assert Invoice.objects.count() == 1
    assert len(mail.outbox) == 1
    assert Delivery.objects.filter(status="processed").count() == 2


def test_an_unpaid_invoice_event_is_ignored(client, subscribed):
    invoice = paid_invoice(subscribed["customer"], status="open")

    response = stripe_post(client, stripe_event("invoice.paid", invoice))

    assert response.json()["status"] == "ignored"
    assert not Invoice.objects.exists()


def test_a_failed_payment_emails_the_teacher(client, owner, subscribed):
    invoice = paid_invoice(subscribed["customer"], status="open", amount_due=500, next_payment_attempt=1_900_000_000)

    response = stripe_post(client, stripe_event("invoice.payment_failed", invoice))

    assert response.json()["status"] == "processed"
    [email] = mail.outbox
    assert email.to == [owner.obj.email]
    assert "5.00 USD" in email.body
    assert SentEmail.objects.filter(kind="payment_failed", outcome="sent").count() == 1


def test_events_about_a_customer_we_dont_know_are_ignored(client, stripe_standin):
    response = stripe_post(client, stripe_event("invoice.paid", paid_invoice("cus_elsewhere")))

    assert response.status_code == 200
    delivery = Delivery.objects.get()
    assert delivery.status == "ignored"
    assert "cus_elsewhere" in delivery.error
    assert not mail.outbox


def test_an_unknown_event_type_is_ignored(client, stripe_standin):
    response = stripe_post(client, stripe_event("charge.dispute.created", {"id": "dp_1"}))

    assert response.status_code == 200
    assert Delivery.objects.get().status == "ignored"


def test_a_subscription_event_stores_what_stripe_says_not_what_the_payload_says(client, api, owner, subscribed):
    stale = {**subscribed, "status": "canceled"}

    stripe_post(client, stripe_event("customer.subscription.updated", stale))

    assert Subscription.objects.get().status == "active"
    assert plan(api, owner)["tier"] == "teacher_tools"


@pytest.mark.parametrize("order", [("updated", "deleted"), ("deleted", "updated")])
def test_updated_and_deleted_in_either_order_leave_the_plan_ended(
    client, api, owner, subscribed, stripe_standin, order
):
    subscription_id = subscribed["id"]
    # Stripe ends the subscription; its two events then arrive in either order.
    ended = stripe_standin.request("DELETE", f"/v1/subscriptions/{subscription_id}")
    events = {
        "updated": stripe_event("customer.subscription.updated", subscribed, created=subscribed["created"]),
        "deleted": stripe_event("customer.subscription.deleted", ended, created=subscribed["created"] + 5),
    }

    for name in order:
        assert stripe_post(client, events[name]).status_code == 200

    assert Subscription.objects.get().status == "canceled"
    assert plan(api, owner) | {"current_period_end": None} == {
        "billing_enabled": True,
        "tier": "free",
        "status": "canceled",
        "current_period_end": None,
        "cancel_at_period_end": False,
        "tools_unlocked": False,
    }
    # The teacher is told once, however many events said so.
    assert [email.subject for email in mail.outbox] == ["Your Teacher Tools plan has ended"]


def test_a_subscription_event_when_stripe_is_unreachable_fails_with_500_and_succeeds_on_retry(
    client, subscribed, settings
):
    event = stripe_event("customer.subscription.updated", subscribed)
    reachable = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"

    failed = stripe_post(client, event)

    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "webhook_failed"
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert "Unavailable" in delivery.error
    settings.STRIPE_API_BASE = reachable

    retried = stripe_post(client, event)

    assert retried.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("processed", 2, "")


def test_a_failed_handler_leaves_none_of_its_writes(client, subscribed, settings):
    customer_id = subscribed["customer"]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    # The invoice is stored, then refreshing its subscription fails: the whole effect is undone.
    invoice = paid_invoice(customer_id, subscription=subscribed["id"])

    assert stripe_post(client, stripe_event("invoice.paid", invoice)).status_code == 500

    assert not Invoice.objects.exists()
    assert not mail.outbox
    assert Customer.objects.filter(stripe_id=customer_id).exists()

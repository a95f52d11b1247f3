"""The same event delivered twice at the same moment: exactly one effect (PostgreSQL's row locks at work)."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from billing.models import Customer, Invoice
from webhooks.models import Delivery
from webhooks.tests.senders import stripe_event, stripe_post

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 2
ROUNDS = 5


@pytest.fixture
def customer(owner, settings) -> Customer:
    settings.BILLING_ENABLED = True
    settings.STRIPE_SECRET_KEY = "sk_test_todaysmeet"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_todaysmeet_tests"
    return Customer.objects.create(teacher=owner.obj, stripe_id="cus_concurrent")


def deliver_at_once(event: dict) -> list[int]:
    """POST the event COPIES times from as many threads, released together; their status codes."""
    start = threading.Barrier(COPIES)
    statuses: list[int] = []

    def send() -> None:
        try:
            start.wait(timeout=10)
            statuses.append(stripe_post(Client(), event).status_code)
        finally:
            # Each thread has its own database connection.
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_two_copies_of_an_event_at_once_have_one_effect(customer):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")
    for round_number in range(ROUNDS):
        invoice = {
            "id": f"in_concurrent{round_number}",
            "object": "invoice",
            "customer": customer.stripe_id,
            "status": "paid",
            "amount_paid": 500,
            "currency": "usd",
            "status_transitions": {"paid_at": 1_800_000_000},
        }

        statuses = deliver_at_once(stripe_event("invoice.paid", invoice))

        assert statuses == [200] * COPIES
    assert Invoice.objects.count() == ROUNDS
    assert len([email for email in mail.outbox if email.subject.startswith("Your todaysmeet receipt")]) == ROUNDS
    assert Delivery.objects.filter(status="processed", attempts=1).count() == ROUNDS

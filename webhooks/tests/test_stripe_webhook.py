"""POST /webhooks/stripe/: the signature, the parse, and what the recorder answers."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from webhooks.models import Delivery
from webhooks.tests.senders import STRIPE_PATH, stripe_event, stripe_post, stripe_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(settings) -> Client:
    settings.BILLING_ENABLED = True
    settings.STRIPE_SECRET_KEY = "sk_test_todaysmeet"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_todaysmeet_tests"
    return Client()


def ignored_event():
    return stripe_event("product.created", {"id": "prod_1", "object": "product"})


def test_a_signed_event_is_recorded_and_answered_200(client):
    event = ignored_event()

    response = stripe_post(client, event)

    assert response.status_code == 200
    delivery = Delivery.objects.get()
    assert (delivery.provider, delivery.key, delivery.event_type) == ("stripe", event["id"], "product.created")
    assert delivery.payload == event
    assert delivery.processed_at is not None
    assert response.json() == {"id": delivery.pk, "status": "ignored", "repeated": False}


def test_a_missing_signature_answers_400_and_records_nothing(client):
    response = client.post(STRIPE_PATH, data=json.dumps(ignored_event()), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_signature"
    assert not Delivery.objects.exists()


def test_a_signature_made_with_another_secret_answers_400(client):
    response = stripe_post(client, ignored_event(), secret="whsec_someone_else")

    assert response.status_code == 400
    assert not Delivery.objects.exists()


def test_a_body_changed_after_signing_answers_400(client):
    event = ignored_event()
    payload = json.dumps(event).encode()
    signature = stripe_signature(payload)

    response = client.post(
        STRIPE_PATH,
        data=payload.replace(b"product.created", b"invoice.paid"),
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )

    assert response.status_code == 400
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "t=1700000000", "v1=deadbeef"])
def test_a_malformed_signature_header_answers_400(client, header):
    response = client.post(
        STRIPE_PATH,
        data=json.dumps(ignored_event()),
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )

    assert response.status_code == 400
    assert not Delivery.objects.exists()


def test_a_signature_older_than_five_minutes_answers_400(client):
    response = stripe_post(client, ignored_event(), at=time.time() - 301)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_signature"
    assert not Delivery.objects.exists()


def test_a_signature_within_five_minutes_is_accepted(client):
    assert stripe_post(client, ignored_event(), at=time.time() - 240).status_code == 200


@pytest.mark.parametrize(
    "payload", [b"not json", b"[1, 2]", b'{"id": "evt_1"}', b'{"id": 5, "type": "invoice.paid"}', b"\xff\xfe"]
)
def test_a_signed_body_that_is_not_an_event_answers_400(client, payload):
    response = stripe_post(client, payload)

    assert response.status_code == 400
    assert not Delivery.objects.exists()


def test_the_same_event_twice_is_answered_200_and_handled_once(client):
    event = ignored_event()
    first = stripe_post(client, event)

    second = stripe_post(client, event)

    assert second.status_code == 200
    assert second.json() == {"id": first.json()["id"], "status": "ignored", "repeated": True}
    assert Delivery.objects.get().attempts == 1


def test_with_billing_off_the_receiver_answers_404(client, settings):
    settings.BILLING_ENABLED = False

    assert stripe_post(client, ignored_event()).status_code == 404
    assert not Delivery.objects.exists()


def test_only_post_is_allowed(client):
    assert client.get(STRIPE_PATH).status_code == 405


def _deliveries_counted(status: str) -> float:
    return (
        REGISTRY.get_sample_value("todaysmeet_webhook_deliveries_total", {"provider": "stripe", "status": status}) or 0
    )


def test_deliveries_are_counted_by_what_became_of_them(client):
    before = {status: _deliveries_counted(status) for status in ("ignored", "repeated", "rejected")}
    event = ignored_event()

    stripe_post(client, event)
    stripe_post(client, event)
    client.post(STRIPE_PATH, data=json.dumps(event), content_type="application/json")

    assert {status: _deliveries_counted(status) - count for status, count in before.items()} == {
        "ignored": 1,
        "repeated": 1,
        "rejected": 1,
    }

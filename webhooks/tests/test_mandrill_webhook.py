"""POST /webhooks/mandrill/: anymail checks Mandrill's signature; bounces, rejects and complaints stop our mail."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client

from accounts.models import SentEmail
from webhooks.models import Delivery
from webhooks.tests.senders import (
    MANDRILL_KEY,
    MANDRILL_PATH,
    MANDRILL_URL,
    mandrill_event,
    mandrill_post,
    mandrill_signature,
)

# Emails go out on commit, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(settings) -> Client:
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_WEBHOOK_KEY": MANDRILL_KEY, "MANDRILL_WEBHOOK_URL": MANDRILL_URL}
    return Client()


def me(api, owner) -> dict:
    return api.get("/api/me", token=owner.token).body


def test_head_answers_200_for_mandrills_url_check(client, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_WEBHOOK_KEY": None}

    assert client.head(MANDRILL_PATH).status_code == 200


def test_mandrills_empty_test_batch_answers_200(client):
    response = mandrill_post(client, [])

    assert response.status_code == 200
    assert not Delivery.objects.exists()


def test_a_bad_signature_answers_403_and_changes_nothing(client, api, owner):
    response = mandrill_post(client, [mandrill_event("hard_bounce", owner.obj.email)], signature="bm90IGl0")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert me(api, owner)["email_deliverable"] is True
    assert not Delivery.objects.exists()


def test_a_signature_for_another_url_is_refused(client, api, owner):
    params = {"mandrill_events": json.dumps([mandrill_event("spam", owner.obj.email)])}
    signature = mandrill_signature(params, url="https://elsewhere.example/webhooks/mandrill/")

    response = client.post(MANDRILL_PATH, data=params, headers={"X-Mandrill-Signature": signature})

    assert response.status_code == 403
    assert me(api, owner)["email_deliverable"] is True


def test_a_missing_signature_is_refused(client):
    response = client.post(MANDRILL_PATH, data={"mandrill_events": "[]"})

    assert response.status_code == 403


def test_without_a_webhook_key_posts_answer_404(client, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MANDRILL_WEBHOOK_KEY": None}

    assert mandrill_post(client, []).status_code == 404


@pytest.mark.parametrize("event_type", ["hard_bounce", "reject", "spam"])
def test_a_failure_to_deliver_marks_the_address_undeliverable(client, api, owner, event_type):
    response = mandrill_post(client, [mandrill_event(event_type, owner.obj.email.upper())])

    assert response.status_code == 200
    assert me(api, owner)["email_deliverable"] is False
    delivery = Delivery.objects.get()
    assert (delivery.provider, delivery.event_type, delivery.status) == ("mandrill", event_type, "processed")


@pytest.mark.parametrize("event_type", ["soft_bounce", "send", "open", "deferral"])
def test_other_events_are_recorded_as_ignored(client, api, owner, event_type):
    response = mandrill_post(client, [mandrill_event(event_type, owner.obj.email)])

    assert response.status_code == 200
    assert me(api, owner)["email_deliverable"] is True
    assert Delivery.objects.get().status == "ignored"


def test_a_bounce_for_an_address_nobody_has_is_ignored(client):
    mandrill_post(client, [mandrill_event("hard_bounce", "stranger@elsewhere.example")])

    assert Delivery.objects.get().status == "ignored"


def test_events_are_deduplicated_on_id_type_and_time(client, owner):
    bounce = mandrill_event("hard_bounce", owner.obj.email, message_id="m1", ts=1_700_000_000)
    later_bounce = mandrill_event("hard_bounce", owner.obj.email, message_id="m1", ts=1_700_000_100)

    mandrill_post(client, [bounce, bounce])
    mandrill_post(client, [bounce, later_bounce])

    assert sorted(Delivery.objects.values_list("key", flat=True)) == [
        "m1:hard_bounce:1700000000",
        "m1:hard_bounce:1700000100",
    ]
    assert Delivery.objects.get(key="m1:hard_bounce:1700000000").attempts == 1


def test_nothing_is_sent_to_an_undeliverable_address_and_the_skip_is_logged(client, api, owner, caplog):
    mandrill_post(client, [mandrill_event("hard_bounce", owner.obj.email)])
    mail.outbox.clear()

    # A teacher from before sign-ups were confirmed by email, who may ask for the link.
    owner.obj.email_verified_at = None
    owner.obj.save(update_fields=["email_verified_at"])

    response = api.post("/api/me/verification-email", token=owner.token)

    assert response.status == 409
    assert response.body["error"]["code"] == "email_undeliverable"
    # Mail sent for other reasons (a password reset here) is skipped, and says so in the log.
    client.post("/accounts/password/reset/", {"email": owner.obj.email})
    assert not mail.outbox
    assert SentEmail.objects.filter(kind="password_reset", outcome="undeliverable").count() == 1
    assert any("undeliverable" in record.getMessage() for record in caplog.records)


def test_a_batch_that_is_not_events_answers_400(client):
    params = {"mandrill_events": "not json"}

    response = client.post(MANDRILL_PATH, data=params, headers={"X-Mandrill-Signature": mandrill_signature(params)})

    assert response.status_code == 400

"""GET and POST /webhooks/mailchimp/<secret>/: the newsletter flag follows Mailchimp's list."""

from __future__ import annotations

import pytest
from django.test import Client

from webhooks.models import Delivery
from webhooks.tests.senders import MAILCHIMP_SECRET, mailchimp_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(settings) -> Client:
    settings.MAILCHIMP_WEBHOOK_SECRET = MAILCHIMP_SECRET
    return Client()


def newsletter(api, owner) -> bool:
    return api.get("/api/me", token=owner.token).body["newsletter"]


def test_mailchimps_validation_get_answers_200(client):
    assert client.get(f"/webhooks/mailchimp/{MAILCHIMP_SECRET}/").status_code == 200


@pytest.mark.parametrize("secret", ["wrong", MAILCHIMP_SECRET[:-1], MAILCHIMP_SECRET + "x"])
def test_a_wrong_secret_answers_404(client, owner, api, secret):
    assert client.get(f"/webhooks/mailchimp/{secret}/").status_code == 404
    assert mailchimp_post(client, "subscribe", owner.obj.email, secret=secret).status_code == 404
    assert newsletter(api, owner) is False
    assert not Delivery.objects.exists()


def test_without_a_secret_configured_everything_answers_404(client, settings):
    settings.MAILCHIMP_WEBHOOK_SECRET = ""

    assert client.get(f"/webhooks/mailchimp/{MAILCHIMP_SECRET}/").status_code == 404


@pytest.mark.parametrize(
    ("event_type", "subscribed"), [("subscribe", True), ("profile", True), ("unsubscribe", False), ("cleaned", False)]
)
def test_list_events_set_the_newsletter_flag(client, api, owner, event_type, subscribed):
    if not subscribed:
        api.patch("/api/me", {"newsletter": True}, token=owner.token)

    response = mailchimp_post(client, event_type, owner.obj.email, fired_at="2099-01-01 00:00:00")

    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    assert newsletter(api, owner) is subscribed


def test_an_event_older_than_the_teachers_own_choice_changes_nothing(client, api, owner):
    api.patch("/api/me", {"newsletter": True}, token=owner.token)

    mailchimp_post(client, "unsubscribe", owner.obj.email, fired_at="2001-01-01 00:00:00")

    assert newsletter(api, owner) is True


def test_an_older_event_arriving_late_does_not_undo_a_newer_one(client, api, owner):
    mailchimp_post(client, "subscribe", owner.obj.email, fired_at="2099-01-01 10:00:00")

    mailchimp_post(client, "unsubscribe", owner.obj.email, fired_at="2099-01-01 09:00:00")

    assert newsletter(api, owner) is True


def test_events_are_deduplicated_on_type_time_and_email(client, api, owner):
    mailchimp_post(client, "subscribe", owner.obj.email, fired_at="2099-01-01 10:00:00")
    api.patch("/api/me", {"newsletter": False}, token=owner.token)

    repeat = mailchimp_post(client, "subscribe", owner.obj.email.upper(), fired_at="2099-01-01 10:00:00")

    assert repeat.json()["repeated"] is True
    assert newsletter(api, owner) is False
    assert Delivery.objects.get().key == f"subscribe:2099-01-01 10:00:00:{owner.obj.email}"


def test_an_event_for_an_address_nobody_has_is_ignored(client):
    response = mailchimp_post(client, "subscribe", "stranger@elsewhere.example")

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


def test_a_post_without_type_or_time_answers_400(client):
    response = client.post(f"/webhooks/mailchimp/{MAILCHIMP_SECRET}/", data={"data[email]": "a@b.example"})

    assert response.status_code == 400
    assert not Delivery.objects.exists()

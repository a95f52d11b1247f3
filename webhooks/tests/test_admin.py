"""Webhook deliveries in the staff admin: listed for staff, and replayed through the recorder."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Teacher
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:webhooks_delivery_changelist"


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(Teacher.objects.create_superuser("staff@district.example", "a long enough passphrase"))
    return client


def _failed_delivery() -> Delivery:
    # A Mailchimp profile update for an address no teacher has: its handler ignores it.
    return Delivery.objects.create(
        provider=Delivery.Provider.MAILCHIMP,
        key="profile:2026-11-29 10:00:00:nobody@school.example",
        event_type="profile",
        status=Delivery.Status.FAILED,
        attempts=1,
        payload={"type": "profile", "fired_at": "2026-11-29 10:00:00", "data[email]": "nobody@school.example"},
        error="OperationalError: the database went away",
    )


def test_staff_see_deliveries_filtered_by_provider_and_status(staff_client):
    delivery = _failed_delivery()

    response = staff_client.get(reverse(CHANGELIST), {"provider__exact": "mailchimp", "status__exact": "failed"})

    assert response.status_code == 200
    assert delivery.event_type in response.content.decode()


def test_a_teacher_who_is_not_staff_is_sent_to_the_admin_sign_in(client):
    client.force_login(Teacher.objects.create_user("ann@school.example", "a long enough passphrase"))

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 302


def test_replaying_a_failed_delivery_runs_its_handler_again(staff_client):
    delivery = _failed_delivery()

    response = staff_client.post(reverse(CHANGELIST), {"action": "replay", "_selected_action": [delivery.pk]})

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.IGNORED, 2)

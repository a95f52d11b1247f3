"""GET and PATCH /api/me: the teacher's own account."""

from __future__ import annotations

import pytest

from billing.models import Customer, Subscription
from todaysmeet import clock

pytestmark = pytest.mark.django_db


def test_me_describes_the_teacher(api, owner):
    response = api.get("/api/me", token=owner.token)

    assert response.status == 200
    assert response.body == {
        "email": "owner@school.example",
        "display_name": "owner",
        "email_verified": True,
        "email_deliverable": True,
        "newsletter": False,
        "time_zone": "",
        "plan": {
            "billing_enabled": False,
            "tier": "free",
            "status": "none",
            "current_period_end": None,
            "cancel_at_period_end": False,
            "tools_unlocked": True,
        },
    }


def test_me_shows_the_plan_with_billing_on(api, owner, settings):
    settings.BILLING_ENABLED = True
    customer = Customer.objects.create(teacher=owner.obj, stripe_id="cus_1")
    Subscription.objects.create(customer=customer, stripe_id="sub_1", status="trialing", started_at=clock.now())

    plan = api.get("/api/me", token=owner.token).body["plan"]

    assert plan == {
        "billing_enabled": True,
        "tier": "teacher_tools",
        "status": "trialing",
        "current_period_end": None,
        "cancel_at_period_end": False,
        "tools_unlocked": True,
    }


def test_me_needs_a_teacher(api, participant):
    assert api.get("/api/me").status == 401
    assert api.get("/api/me", token=participant.token).status == 403


def test_patch_changes_the_display_name_shown_in_rooms(api, owner, room):
    response = api.patch("/api/me", {"display_name": "  Ms Rivera "}, token=owner.token)

    assert response.status == 200
    assert response.body["display_name"] == "Ms Rivera"
    message = api.post(f"/api/rooms/{room.name}/messages", {"text": "hello"}, token=owner.token).body["message"]
    assert message["nickname"] == "Ms Rivera"


def test_an_empty_display_name_goes_back_to_the_email_name(api, owner):
    api.patch("/api/me", {"display_name": "Ms Rivera"}, token=owner.token)

    response = api.patch("/api/me", {"display_name": ""}, token=owner.token)

    assert response.body["display_name"] == "owner"


def test_patch_changes_the_newsletter_flag(api, owner):
    assert api.patch("/api/me", {"newsletter": True}, token=owner.token).body["newsletter"] is True
    assert api.get("/api/me", token=owner.token).body["newsletter"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": "x" * 33}, "display_name"),
        ({"display_name": 7}, "display_name"),
        ({"display_name": "bad\u202ename"}, "display_name"),
        ({"display_name": "bell\u0007"}, "display_name"),
        ({"newsletter": "yes"}, "newsletter"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": None}, "time_zone"),
        ({"email": "new@school.example"}, "email"),
    ],
)
def test_patch_refuses_bad_values(api, owner, body, field):
    response = api.patch("/api/me", body, token=owner.token)

    assert response.status == 400
    assert response.body["error"]["field"] == field
    assert api.get("/api/me", token=owner.token).body["display_name"] == "owner"


def test_patch_from_a_browser_needs_the_csrf_token(owner):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner.obj)

    response = browser.patch("/api/me", data='{"newsletter": true}', content_type="application/json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize("zone", ["America/Chicago", "Asia/Kolkata", "UTC"])
def test_patch_remembers_the_browsers_time_zone(api, owner, zone):
    response = api.patch("/api/me", {"time_zone": zone}, token=owner.token)

    assert response.status == 200
    assert response.body["time_zone"] == zone
    assert api.get("/api/me", token=owner.token).body["time_zone"] == zone


def test_an_empty_time_zone_forgets_it(api, owner):
    api.patch("/api/me", {"time_zone": "Europe/Madrid"}, token=owner.token)

    assert api.patch("/api/me", {"time_zone": ""}, token=owner.token).body["time_zone"] == ""

"""What the Teacher Tools plan unlocks, through the rooms API and pages, with billing on.

The room owner's plan counts. Turning a tool on or changing it needs it;
turning one off, and everything else a room does, never does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from billing.models import Customer, Subscription
from conftest import moderator_made
from rooms import services as room_services
from todaysmeet import clock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def billing_on(settings):
    settings.BILLING_ENABLED = True


@pytest.fixture
def room(owner):
    """A room made the free way: no topic."""
    return room_services.room_create(owner=owner.obj, name="biology")


def give_plan(teacher, *, status: str = "active", **fields) -> Subscription:
    customer, _ = Customer.objects.get_or_create(teacher=teacher, defaults={"stripe_id": f"cus_{teacher.pk}"})
    return Subscription.objects.create(
        customer=customer,
        stripe_id=f"sub_{teacher.pk}_{Subscription.objects.count()}",
        status=status,
        started_at=clock.now(),
        current_period_end=clock.now() + timedelta(days=30),
        **fields,
    )


def patch_room(api, room, changes, token):
    return api.patch(f"/api/rooms/{room.name}", changes, token=token)


def assert_plan_required(response, tool: str) -> None:
    assert response.status == 402, response.body
    error = response.body["error"]
    assert error["code"] == "plan_required"
    assert error["tool"] == tool
    assert error["upgrade_url"] == "/accounts/#plan"


TURNING_ON = [
    ({"topic": "Photosynthesis"}, "topic"),
    ({"paused": True}, "pause"),
    ({"slow_mode_seconds": 30}, "slow_mode"),
    ({"password": "secret words"}, "password"),
]


@pytest.mark.parametrize(("changes", "tool"), TURNING_ON)
def test_without_the_plan_turning_a_tool_on_answers_402(api, owner, room, changes, tool):
    assert_plan_required(patch_room(api, room, changes, owner.token), tool)


@pytest.mark.parametrize(("changes", "tool"), TURNING_ON)
def test_with_the_plan_turning_a_tool_on_works(api, owner, room, changes, tool):
    give_plan(owner.obj)

    assert patch_room(api, room, changes, owner.token).status == 200


def test_without_the_plan_the_other_tools_answer_402(api, owner, room, participant, other_teacher):
    mute = api.post(f"/api/rooms/{room.name}/participants/{participant.obj.pk}/mute", token=owner.token)
    moderator = api.post(f"/api/rooms/{room.name}/moderators", {"email": other_teacher.obj.email}, token=owner.token)
    csv = api.get(f"/api/rooms/{room.name}/transcript.csv", token=owner.token)
    json = api.get(f"/api/rooms/{room.name}/transcript.json", token=owner.token)

    assert_plan_required(mute, "mute")
    assert_plan_required(moderator, "moderators")
    assert_plan_required(csv, "transcripts")
    assert_plan_required(json, "transcripts")


def test_the_printable_transcript_offers_the_upgrade(owner, room):
    browser = Client()
    browser.force_login(owner.obj)

    response = browser.get(f"/{room.name}/transcript/")

    assert response.status_code == 402
    assert b'href="/accounts/#plan"' in response.content


def test_a_lapsed_plan_leaves_settings_in_force_and_turning_them_off_free(api, owner, room, participant):
    subscription = give_plan(owner.obj)
    patch_room(api, room, {"paused": True, "slow_mode_seconds": 30, "password": "secret words"}, owner.token)
    api.post(f"/api/rooms/{room.name}/participants/{participant.obj.pk}/mute", token=owner.token)
    subscription.status = "canceled"
    subscription.save()

    room.refresh_from_db()
    assert (room.paused, room.slow_mode_seconds, room.is_private) == (True, 30, True)
    turned_off = patch_room(
        api, room, {"paused": False, "slow_mode_seconds": 0, "password": "", "topic": ""}, owner.token
    )
    assert turned_off.status == 200
    unmute = api.post(f"/api/rooms/{room.name}/participants/{participant.obj.pk}/unmute", token=owner.token)
    assert unmute.status == 200


def test_repeating_a_setting_already_in_force_needs_no_plan(api, owner, room):
    subscription = give_plan(owner.obj)
    patch_room(api, room, {"topic": "Cells"}, owner.token)
    subscription.delete()

    # Sending the topic unchanged is not a change.
    assert patch_room(api, room, {"topic": "Cells", "paused": False, "slow_mode_seconds": 0}, owner.token).status == 200


def test_free_tools_stay_free(api, owner, room, participant):
    message = api.post(f"/api/rooms/{room.name}/messages", {"text": "hi"}, token=participant.token).body["message"]

    assert api.post("/api/rooms", {"name": "chemistry"}, token=owner.token).status == 201
    assert api.delete(f"/api/rooms/{room.name}/messages/{message['id']}", token=owner.token).status == 204
    assert patch_room(api, room, {"closed": True}, owner.token).status == 200
    assert patch_room(api, room, {"closed": False}, owner.token).status == 200
    assert Client().get(f"/{room.name}/projector/").status_code == 200


def test_the_safety_tools_are_free(api, owner, room, participant):
    # Locking the door and removing a harasser stop abuse; a free room must be able to.
    assert patch_room(api, room, {"joining_locked": True}, owner.token).status == 200
    removed = api.post(f"/api/rooms/{room.name}/participants/{participant.obj.pk}/block", token=owner.token)
    assert removed.status == 200
    assert (
        api.post(f"/api/rooms/{room.name}/participants/{participant.obj.pk}/unblock", token=owner.token).status == 200
    )
    assert patch_room(api, room, {"joining_locked": False}, owner.token).status == 200


def test_creating_a_room_with_a_topic_needs_the_plan(api, owner):
    response = api.post("/api/rooms", {"name": "chemistry", "topic": "Acids"}, token=owner.token)

    assert_plan_required(response, "topic")


def test_the_owners_plan_counts_for_a_co_moderator(api, owner, room, other_teacher):
    give_plan(owner.obj)
    moderator_made(room, other_teacher.obj)

    assert patch_room(api, room, {"paused": True}, other_teacher.token).status == 200


def test_a_co_moderators_own_plan_does_not_unlock_the_owners_room(api, owner, room, other_teacher):
    give_plan(owner.obj)
    moderator_made(room, other_teacher.obj)
    Subscription.objects.filter(customer__teacher=owner.obj).update(status="canceled")
    give_plan(other_teacher.obj)

    assert_plan_required(patch_room(api, room, {"paused": True}, other_teacher.token), "pause")


def test_past_due_keeps_the_tools_for_seven_days(api, owner, room, clock):
    clock.freeze()
    give_plan(owner.obj, status="past_due", past_due_since=clock.now())

    clock.advance(timedelta(days=6, hours=23))
    assert patch_room(api, room, {"topic": "Day six"}, owner.token).status == 200
    clock.advance(timedelta(hours=2))
    assert_plan_required(patch_room(api, room, {"topic": "Day eight"}, owner.token), "topic")


def test_a_plan_cancelled_at_period_end_locks_when_the_period_ends(api, owner, room, clock):
    clock.freeze()
    give_plan(owner.obj, cancel_at_period_end=True)

    clock.advance(timedelta(days=29))
    assert patch_room(api, room, {"topic": "Still mine"}, owner.token).status == 200
    clock.advance(timedelta(days=2))
    assert_plan_required(patch_room(api, room, {"topic": "Too late"}, owner.token), "topic")
    assert api.get("/api/me", token=owner.token).body["plan"]["tier"] == "free"


@pytest.mark.parametrize("status", ["incomplete", "incomplete_expired", "unpaid", "canceled", "paused"])
def test_other_statuses_give_no_tools(api, owner, room, status):
    give_plan(owner.obj, status=status)

    assert_plan_required(patch_room(api, room, {"paused": True}, owner.token), "pause")


def test_the_room_page_offers_the_upgrade_to_a_free_owner(owner, room):
    browser = Client()
    browser.force_login(owner.obj)

    page = browser.get(f"/{room.name}/").content.decode()

    assert 'data-testid="plan-notice"' in page
    assert 'data-testid="upgrade-link"' in page


def test_the_room_page_says_nothing_to_a_paying_owner(owner, room):
    give_plan(owner.obj)
    browser = Client()
    browser.force_login(owner.obj)

    assert 'data-testid="plan-notice"' not in browser.get(f"/{room.name}/").content.decode()

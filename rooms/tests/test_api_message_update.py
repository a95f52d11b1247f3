"""PATCH /api/rooms/<name>/messages/<id>: pinning and marking answered."""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Message, RoomEvent
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of


@pytest.fixture
def message(room, make_participant) -> Message:
    return services.message_post(room=room, author=make_participant(room, "asker").obj, text="Why is the sky blue?")[0]


def url(message: Message, room_name: str = "biology") -> str:
    return f"/api/rooms/{room_name}/messages/{message.pk}"


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_pin(api, message, token_of, persona, expected):
    response = api.patch(url(message), {"pinned": True}, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 200
        assert response.body["message"]["pinned"] is True
    else:
        assert error_of(response) == expected
        assert not Message.objects.filter(pinned=True).exists()


def test_pinning_answers_with_the_message_and_streams_message_updated(api, message, owner):
    response = api.patch(url(message), {"pinned": True, "answered": True}, token=owner.token)

    events = api.get("/api/rooms/biology/events?since=1").body["events"]
    assert (response.body["message"]["pinned"], response.body["message"]["answered"]) == (True, True)
    assert [(event["type"], event["seq"]) for event in events] == [("message.updated", 2)]
    # The whole message, as a history page shows it to the same reader.
    shown = api.get("/api/rooms/biology/messages").body["messages"][0]
    assert events[0]["message"] == {key: value for key, value in shown.items() if key != "upvoted"}
    assert (events[0]["message"]["pinned"], events[0]["message"]["answered"]) == (True, True)


def test_the_history_carries_the_pinned_message(api, room, message, owner):
    other = services.message_post(room=room, author=owner.obj, text="later")[0]
    api.patch(url(message), {"pinned": True}, token=owner.token)

    page = api.get("/api/rooms/biology/messages").body

    assert page["pinned"]["id"] == message.pk
    assert [shown["id"] for shown in page["messages"]] == [message.pk, other.pk]

    api.patch(url(other), {"pinned": True}, token=owner.token)

    assert api.get("/api/rooms/biology/messages").body["pinned"]["id"] == other.pk
    assert RoomEvent.objects.filter(type="message.updated").count() == 3


def test_unpinning_leaves_no_pinned_message(api, message, owner):
    api.patch(url(message), {"pinned": True}, token=owner.token)

    api.patch(url(message), {"pinned": False}, token=owner.token)

    assert api.get("/api/rooms/biology/messages").body["pinned"] is None


def test_answered_filters_the_history(api, room, message, owner):
    other = services.message_post(room=room, author=owner.obj, text="not yet")[0]
    api.patch(url(message), {"answered": True}, token=owner.token)

    answered = api.get("/api/rooms/biology/messages?answered=1").body["messages"]
    unanswered = api.get("/api/rooms/biology/messages?answered=0").body["messages"]

    assert [shown["id"] for shown in answered] == [message.pk]
    assert [shown["id"] for shown in unanswered] == [other.pk]


@pytest.mark.parametrize("body", [{"pinned": "true"}, {"answered": None}, {"text": "edited"}, {"pinned": 1}])
def test_invalid_changes_answer_400_and_change_nothing(api, message, owner, body):
    response = api.patch(url(message), body, token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert RoomEvent.objects.count() == 1


def test_a_deleted_or_held_message_answers_404(api, room, message, owner, participant):
    services.message_delete(room=room, message=message, deleted_by=owner.obj)
    services.room_update(room=room, changes={"review": True})
    held = services.message_post(room=room, author=participant.obj, text="held")[0]

    assert error_of(api.patch(url(message), {"pinned": True}, token=owner.token)) == (404, "message_not_found")
    assert error_of(api.patch(url(held), {"pinned": True}, token=owner.token)) == (404, "message_not_found")

"""POST and DELETE /api/rooms/<name>/messages/<id>/upvote"""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Message, MessageVote
from rooms.tests.personas import ALLOWED, matrix
from tests.assertions import error_of


@pytest.fixture
def message(room, make_participant) -> Message:
    return services.message_post(room=room, author=make_participant(room, "asker").obj, text="Is it on the test?")[0]


def url(message: Message, room_name: str = "biology") -> str:
    return f"/api/rooms/{room_name}/messages/{message.pk}/upvote"


@pytest.mark.parametrize(
    ("persona", "expected"),
    matrix(
        anonymous=(401, "unauthenticated"),
        participant=ALLOWED,
        muted=ALLOWED,
        other_teacher=(403, "not_participant"),
        moderator=ALLOWED,
        owner=ALLOWED,
    ),
)
def test_the_rooms_participants_and_teachers_upvote(api, message, token_of, persona, expected):
    response = api.post(url(message), token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 200
        assert response.body == {"message_id": message.pk, "upvotes": 1, "upvoted": True}
    else:
        assert error_of(response) == expected
        assert not MessageVote.objects.exists()


def test_upvoting_twice_counts_once_and_delete_takes_it_back(api, message, participant, owner):
    api.post(url(message), token=participant.token)
    again = api.post(url(message), token=participant.token)
    api.post(url(message), token=owner.token)

    taken_back = api.delete(url(message), token=participant.token)
    twice = api.delete(url(message), token=participant.token)

    assert again.body == {"message_id": message.pk, "upvotes": 1, "upvoted": True}
    assert taken_back.body == {"message_id": message.pk, "upvotes": 1, "upvoted": False}
    assert twice.body == taken_back.body


def test_the_history_shows_the_count_to_everyone_and_upvoted_to_each_voter(api, message, participant, owner):
    api.post(url(message), token=participant.token)

    mine = api.get("/api/rooms/biology/messages", token=participant.token).body["messages"][0]
    teachers = api.get("/api/rooms/biology/messages", token=owner.token).body["messages"][0]
    anyone = api.get("/api/rooms/biology/messages").body["messages"][0]

    assert (mine["upvotes"], mine["upvoted"]) == (1, True)
    assert (teachers["upvotes"], teachers["upvoted"]) == (1, False)
    assert (anyone["upvotes"], anyone["upvoted"]) == (1, False)


def test_votes_stream_as_one_message_votes_event_per_flush(api, room, message, participant, owner):
    api.post(url(message), token=participant.token)
    api.post(url(message), token=owner.token)

    services.votes_flush(room_id=room.pk)

    events = api.get("/api/rooms/biology/events?since=1").body["events"]
    assert events == [{"type": "message.votes", "seq": 2, "votes": [{"message_id": message.pk, "upvotes": 2}]}]


def test_a_deleted_message_answers_404(api, room, message, participant, owner):
    services.message_delete(room=room, message=message, deleted_by=owner.obj)

    assert error_of(api.post(url(message), token=participant.token)) == (404, "message_not_found")
    assert error_of(api.delete(url(message), token=participant.token)) == (404, "message_not_found")


def test_a_held_message_answers_404(api, room, participant, make_participant):
    services.room_update(room=room, changes={"review": True})
    held = services.message_post(room=room, author=make_participant(room, "kim").obj, text="hold me")[0]

    assert error_of(api.post(url(held), token=participant.token)) == (404, "message_not_found")


def test_another_rooms_message_answers_404(api, owner, participant, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")
    foreign = services.message_post(room=elsewhere, author=make_participant(elsewhere, "kim").obj, text="hi")[0]

    assert error_of(api.post(url(foreign), token=participant.token)) == (404, "message_not_found")


def test_a_private_room_asks_for_its_password_first(api, room, message, owner, make_participant):
    stranger = make_participant(room, "stranger").token
    services.room_update(room=room, changes={"password": "open sesame"})

    assert error_of(api.post(url(message), token=stranger)) == (401, "invalid_token")


def test_get_answers_405(api, message):
    response = api.get(url(message))

    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == "DELETE, POST"

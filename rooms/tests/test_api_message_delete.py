"""DELETE /api/rooms/<name>/messages/<id>"""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Message, RoomEvent
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of


@pytest.fixture
def message(room, participant) -> Message:
    return services.message_post(room=room, author=participant.obj, text="something regrettable")[0]


def url(message: Message, room_name: str = "biology") -> str:
    return f"/api/rooms/{room_name}/messages/{message.pk}"


def events(api, since: int = 0) -> list[dict]:
    return api.get(f"/api/rooms/biology/events?since={since}").body["events"]


def test_the_owner_deletes_a_message_with_204(api, room, owner, message):
    response = api.delete(url(message), token=owner.token)

    assert response.status == 204
    assert api.get("/api/rooms/biology/messages").body["messages"] == []
    assert events(api, since=1) == [{"type": "message.deleted", "seq": 2, "message_id": message.pk}]
    assert api.get("/api/rooms/biology").body["seq"] == 2


def test_deleting_again_gives_204_and_no_new_event(api, room, owner, message):
    api.delete(url(message), token=owner.token)

    again = api.delete(url(message), token=owner.token)

    assert again.status == 204
    assert [event["seq"] for event in events(api)] == [1, 2]
    assert RoomEvent.objects.filter(room=room).count() == 2
    assert api.get("/api/rooms/biology").body["seq"] == 2


def test_the_owner_deletes_their_own_message(api, room, owner):
    own = services.message_post(room=room, author=owner.obj, text="typo")[0]

    assert api.delete(url(own), token=owner.token).status == 204


def test_a_participant_gets_403_even_for_their_own_message(api, room, participant, message):
    response = api.delete(url(message), token=participant.token)

    assert error_of(response) == (403, "not_moderator")
    assert not Message.objects.get(pk=message.pk).is_deleted


def test_another_teacher_gets_403(api, room, other_teacher, message):
    response = api.delete(url(message), token=other_teacher.token)

    assert error_of(response) == (403, "not_moderator")
    assert not Message.objects.get(pk=message.pk).is_deleted


def test_no_token_gets_401(api, room, message):
    response = api.delete(url(message))

    assert error_of(response) == (401, "unauthenticated")
    assert not Message.objects.get(pk=message.pk).is_deleted


def test_a_bad_token_gets_401(api, room, message):
    response = api.delete(url(message), token="forged")

    assert error_of(response) == (401, "invalid_token")


def test_an_unknown_id_gets_404(api, room, owner, message):
    response = api.delete(f"/api/rooms/biology/messages/{message.pk + 1000}", token=owner.token)

    assert error_of(response) == (404, "message_not_found")


def test_an_id_beyond_any_database_integer_gets_404(api, room, owner, message):
    response = api.delete("/api/rooms/biology/messages/" + "9" * 30, token=owner.token)

    assert error_of(response) == (404, "message_not_found")


def test_a_message_from_another_room_gets_404_and_stays(api, room, owner, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")
    foreign = services.message_post(room=elsewhere, author=make_participant(elsewhere).obj, text="mine")[0]

    response = api.delete(url(foreign, room_name="biology"), token=owner.token)

    assert error_of(response) == (404, "message_not_found")
    assert not Message.objects.get(pk=foreign.pk).is_deleted
    assert RoomEvent.objects.filter(room=elsewhere).count() == 1


def test_another_rooms_owner_cannot_reach_this_rooms_message_through_their_room(api, room, message, other_teacher):
    services.room_create(owner=other_teacher.obj, name="chemistry")

    response = api.delete(url(message, room_name="chemistry"), token=other_teacher.token)

    assert error_of(response) == (404, "message_not_found")
    assert not Message.objects.get(pk=message.pk).is_deleted


def test_an_unknown_room_gets_404(api, room, owner, message):
    response = api.delete(url(message, room_name="nowhere"), token=owner.token)

    assert error_of(response) == (404, "room_not_found")


def test_get_on_a_message_returns_405(api, room, message):
    response = api.get(url(message))

    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == "DELETE, PATCH"


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_who_may_delete_a_message(api, room, message, token_of, persona, expected):
    response = api.delete(url(message), token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 204
        assert Message.objects.get(pk=message.pk).is_deleted
    else:
        assert error_of(response) == expected
        assert not Message.objects.get(pk=message.pk).is_deleted


def test_the_row_keeps_who_deleted_it_and_when(api, room, message, moderator, clock):
    clock.freeze()

    api.delete(url(message), token=moderator.token)

    stored = Message.objects.get(pk=message.pk)
    assert (stored.deleted_by, stored.deleted_at, stored.text) == (moderator.obj, clock.now(), "something regrettable")


def test_deleting_resolves_the_open_reports_on_the_message(api, room, message, owner, make_participant):
    reporters = [make_participant(room, name) for name in ("kim", "lee")]
    for reporter in reporters:
        api.post(url(message) + "/report", {"reason": "mean"}, token=reporter.token)

    api.delete(url(message), token=owner.token)

    reports = api.get("/api/rooms/biology/reports?state=all", token=owner.token).body["reports"]
    assert [(report["resolution"], report["resolved_by"]) for report in reports] == [
        ("deleted", "owner@school.example"),
        ("deleted", "owner@school.example"),
    ]
    assert [(event["type"], event.get("resolution")) for event in events(api, since=3)] == [
        ("message.deleted", None),
        ("report.resolved", "deleted"),
        ("report.resolved", "deleted"),
    ]

"""DELETE /api/rooms/<name>"""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Message, Participant, Report, Room, RoomEvent, RoomModerator
from rooms.tests.personas import ALLOWED, OWNER_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology"


@pytest.fixture
def busy_room(room, owner, participant, moderator):
    """A room with messages, a deletion, a report and a moderator."""
    first = services.message_post(room=room, author=participant.obj, text="first")[0]
    services.message_post(room=room, author=owner.obj, text="second")
    services.report_create(room=room, reporter=participant.obj, message=first, reason="rude")
    services.message_delete(room=room, message=first, deleted_by=owner.obj)
    return room


@pytest.mark.parametrize(("persona", "expected"), OWNER_ONLY)
def test_only_the_owner_may_delete_the_room(api, room, token_of, persona, expected):
    response = api.delete(URL, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 204
        assert not Room.objects.filter(name="biology").exists()
    else:
        assert error_of(response) == expected
        assert Room.objects.filter(name="biology").exists()


def test_everything_in_the_room_goes_with_it(api, busy_room, owner):
    response = api.delete(URL, token=owner.token)

    assert response.status == 204
    assert response.body is None
    for model in (Room, Message, RoomEvent, Participant, Report, RoomModerator):
        assert not model.objects.exists(), model.__name__


def test_other_rooms_are_untouched(api, busy_room, owner, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")
    kept = services.message_post(room=elsewhere, author=make_participant(elsewhere, "kim").obj, text="mine")[0]

    api.delete(URL, token=owner.token)

    assert list(Message.objects.values_list("pk", flat=True)) == [kept.pk]
    assert RoomEvent.objects.filter(room=elsewhere).count() == 1
    assert Participant.objects.get().nickname == "kim"


def test_the_room_is_gone_for_everyone_afterwards(api, room, owner, participant):
    api.delete(URL, token=owner.token)

    assert error_of(api.get(URL)) == (404, "room_not_found")
    assert error_of(api.delete(URL, token=owner.token)) == (404, "room_not_found")
    # The participant's token died with the room.
    assert error_of(api.get("/api/rooms/chemistry", token=participant.token)) == (401, "invalid_token")


def test_the_name_is_free_again(api, room, owner, other_teacher):
    api.delete(URL, token=owner.token)

    assert api.post("/api/rooms", {"name": "biology"}, token=other_teacher.token).status == 201


def test_an_unknown_room_gets_404(api, room, owner):
    assert error_of(api.delete("/api/rooms/chemistry", token=owner.token)) == (404, "room_not_found")

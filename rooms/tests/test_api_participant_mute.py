"""POST /api/rooms/<name>/participants/<id>/mute and /unmute"""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Participant, RoomEvent
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of


def url(participant, action: str = "mute", room_name: str = "biology") -> str:
    return f"/api/rooms/{room_name}/participants/{participant.pk}/{action}"


def events(api, token: str | None = None) -> list[dict]:
    return api.get("/api/rooms/biology/events?since=0", token=token).body["events"]


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_mute(api, room, participant, token_of, persona, expected):
    response = api.post(url(participant.obj), token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 200
        assert response.body["participant"]["muted"] is True
    else:
        assert error_of(response) == expected
        assert Participant.objects.get(pk=participant.obj.pk).muted is False


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_unmute(api, room, muted, token_of, persona, expected):
    response = api.post(url(muted.obj, "unmute"), token=token_of(persona))

    if expected == ALLOWED:
        assert response.body["participant"]["muted"] is False
    else:
        assert error_of(response) == expected
        assert Participant.objects.get(pk=muted.obj.pk).muted is True


def test_muting_answers_with_the_moderator_view_and_streams_the_public_one_to_them_and_the_muted(
    api, room, owner, participant, make_participant
):
    api.post("/api/rooms/biology/messages", {"text": "hi"}, token=participant.token)

    response = api.post(url(participant.obj), token=owner.token)

    public = {
        "id": participant.obj.pk,
        "nickname": "sam",
        "color": participant.obj.color,
        "muted": True,
        "removed": False,
    }
    listed = api.get("/api/rooms/biology/participants", token=owner.token).body["participants"]
    assert response.body == {"participant": listed[0]}
    assert response.body["participant"]["post_count"] == 1
    update = {"type": "participant.updated", "seq": 2, "participant": public}
    assert events(api, owner.token)[1] == update
    assert events(api, participant.token)[1] == update
    # A mute is between the muted and the teachers: everyone else only learns its seq.
    assert events(api, make_participant(room, "kim").token)[1] == {"type": "skip", "seq": 2}
    assert events(api)[1] == {"type": "skip", "seq": 2}


def test_unmuting_streams_participant_updated_too(api, room, muted, owner):
    api.post(url(muted.obj, "unmute"), token=owner.token)

    assert [(event["type"], event["participant"]["muted"]) for event in events(api, owner.token)] == [
        ("participant.updated", True),
        ("participant.updated", False),
    ]


def test_muting_twice_answers_200_and_streams_once(api, room, participant, owner):
    api.post(url(participant.obj), token=owner.token)

    again = api.post(url(participant.obj), token=owner.token)

    assert again.status == 200
    assert again.body["participant"]["muted"] is True
    assert RoomEvent.objects.filter(room=room).count() == 1


def test_unmuting_someone_not_muted_changes_nothing(api, room, participant, owner):
    assert api.post(url(participant.obj, "unmute"), token=owner.token).status == 200
    assert not RoomEvent.objects.filter(room=room).exists()


def test_an_unknown_participant_gets_404(api, room, participant, owner):
    response = api.post(f"/api/rooms/biology/participants/{participant.obj.pk + 100}/mute", token=owner.token)

    assert error_of(response) == (404, "participant_not_found")


def test_another_rooms_participant_gets_404_and_stays_unmuted(api, room, owner, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")
    kim = make_participant(elsewhere, "kim")

    response = api.post(url(kim.obj), token=owner.token)

    assert error_of(response) == (404, "participant_not_found")
    assert Participant.objects.get(pk=kim.obj.pk).muted is False


def test_get_returns_405(api, room, participant, owner):
    assert error_of(api.get(url(participant.obj), token=owner.token)) == (405, "method_not_allowed")

"""GET /api/rooms/<name>/participants"""

from __future__ import annotations

from datetime import timedelta

import pytest

from rooms import services
from rooms.payloads import timestamp
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology/participants"


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_list_participants(api, room, token_of, persona, expected):
    response = api.get(URL, token=token_of(persona))

    if expected == ALLOWED:
        assert [participant["nickname"] for participant in response.body["participants"]] == ["sam", "loud"]
    else:
        assert error_of(response) == expected


def test_each_participant_comes_with_color_posts_mute_and_join_time(api, room, owner, make_participant, clock):
    clock.freeze()
    sam = make_participant(room, "sam")
    clock.advance(timedelta(minutes=1))
    kim = make_participant(room, "kim")
    for text in ("one", "two"):
        services.message_post(room=room, author=sam.obj, text=text)
    deleted = services.message_post(room=room, author=kim.obj, text="oops")[0]
    services.message_delete(room=room, message=deleted, deleted_by=owner.obj)
    services.participant_mute(room=room, participant=kim.obj, muted=True)

    response = api.get(URL, token=owner.token)

    assert response.body == {
        "participants": [
            {
                "id": sam.obj.pk,
                "nickname": "sam",
                "color": sam.obj.color,
                "muted": False,
                "removed": False,
                "post_count": 2,
                "joined_at": timestamp(sam.obj.joined_at),
                "muted_from": None,
            },
            {
                "id": kim.obj.pk,
                "nickname": "kim",
                "color": kim.obj.color,
                "muted": True,
                "removed": False,
                "post_count": 1,
                "joined_at": timestamp(kim.obj.joined_at),
                "muted_from": None,
            },
        ]
    }
    assert sam.obj.color != kim.obj.color


def test_a_browser_that_rejoins_under_a_new_nickname_stays_one_entry(api, room, owner):
    # The test client keeps its session cookie, as a browser does.
    api.post("/api/rooms/biology/join", {"nickname": "sam"})

    api.post("/api/rooms/biology/join", {"nickname": "samira"})

    assert [entry["nickname"] for entry in api.get(URL, token=owner.token).body["participants"]] == ["samira"]


def test_other_rooms_participants_are_not_listed(api, room, owner, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")
    make_participant(elsewhere, "kim")

    assert api.get(URL, token=owner.token).body == {"participants": []}

"""PATCH /api/rooms/<name> with the Q&A settings: review, word_filter, blocked_words, anonymous."""

from __future__ import annotations

import pytest

from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology"
SETTINGS = {"review": True, "word_filter": "mask", "blocked_words": ["Broccoli", "ice cream"], "anonymous": True}


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_change_them(api, room, token_of, persona, expected):
    response = api.patch(URL, SETTINGS, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 200
        body = response.body
        assert (body["review"], body["word_filter"], body["anonymous"]) == (True, "mask", True)
        assert body["blocked_words"] == ["broccoli", "ice cream"]
    else:
        assert error_of(response) == expected


def test_the_change_streams_as_room_updated_without_the_blocked_words(api, room, owner):
    api.patch(URL, SETTINGS, token=owner.token)

    event = api.get(URL + "/events?since=0", token=owner.token).body["events"][0]
    assert event["type"] == "room.updated"
    assert (event["room"]["review"], event["room"]["word_filter"], event["room"]["anonymous"]) == (True, "mask", True)
    assert "blocked_words" not in event["room"]
    assert "broccoli" not in str(event)


def test_only_the_teachers_read_the_blocked_words(api, room, owner, participant):
    api.patch(URL, SETTINGS, token=owner.token)

    assert api.get(URL, token=owner.token).body["blocked_words"] == ["broccoli", "ice cream"]
    for token in (participant.token, None):
        room_json = api.get(URL, token=token).body
        assert "blocked_words" not in room_json
        assert (room_json["review"], room_json["anonymous"]) == (True, True)


def test_null_clears_the_blocked_words(api, room, owner):
    api.patch(URL, SETTINGS, token=owner.token)

    assert api.patch(URL, {"blocked_words": None}, token=owner.token).body["blocked_words"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"review": "yes"}, "review"),
        ({"anonymous": 1}, "anonymous"),
        ({"word_filter": "on"}, "word_filter"),
        ({"blocked_words": ["ok", "x" * 41]}, "blocked_words"),
        ({"blocked_words": ["ok"] * 201}, "blocked_words"),
        ({"blocked_words": "broccoli"}, "blocked_words"),
    ],
)
def test_invalid_settings_answer_400_naming_the_field(api, room, owner, body, field):
    response = api.patch(URL, body, token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == field

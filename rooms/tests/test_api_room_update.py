"""PATCH /api/rooms/<name>"""

from __future__ import annotations

from datetime import timedelta

import pytest

from rooms.models import Room, RoomEvent
from rooms.payloads import timestamp
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology"


def room_updates(room: Room) -> list[dict]:
    events = RoomEvent.objects.filter(room=room, type=RoomEvent.Type.ROOM_UPDATED).order_by("seq")
    return [event.data["room"] for event in events]


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_who_may_change_the_room(api, room, token_of, persona, expected):
    response = api.patch(URL, {"topic": "Mitosis"}, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 200
        assert response.body["topic"] == "Mitosis"
    else:
        assert error_of(response) == expected
        assert Room.objects.get(pk=room.pk).topic == "Cells"


@pytest.mark.parametrize(("persona", "role"), [("owner", "owner"), ("moderator", "moderator")])
def test_the_answer_is_the_moderator_view_of_the_room(api, room, token_of, persona, role):
    response = api.patch(URL, {"paused": True}, token=token_of(persona))

    assert response.status == 200
    assert response.body["role"] == role
    assert response.body["open_reports"] == 0
    assert response.body["paused"] is True
    assert response.body == {**api.get(URL, token=token_of(persona)).body}


def test_an_unknown_room_gets_404(api, room, owner):
    assert error_of(api.patch("/api/rooms/chemistry", {"topic": "x"}, token=owner.token)) == (404, "room_not_found")


class TestTopic:
    def test_the_topic_is_trimmed_and_stored(self, api, room, owner):
        response = api.patch(URL, {"topic": "  Mitosis  "}, token=owner.token)

        assert response.body["topic"] == "Mitosis"
        assert Room.objects.get(pk=room.pk).topic == "Mitosis"

    @pytest.mark.parametrize("topic", [None, ""])
    def test_null_or_empty_clears_the_topic(self, api, room, owner, topic):
        assert api.patch(URL, {"topic": topic}, token=owner.token).body["topic"] == ""

    @pytest.mark.parametrize("topic", ["x" * 201, "bad\x07bell", 42, ["Cells"]])
    def test_an_invalid_topic_returns_400_and_changes_nothing(self, api, room, owner, topic):
        response = api.patch(URL, {"topic": topic, "paused": True}, token=owner.token)

        assert error_of(response) == (400, "invalid")
        assert response.body["error"]["field"] == "topic"
        stored = Room.objects.get(pk=room.pk)
        assert (stored.topic, stored.paused, stored.seq) == ("Cells", False, 0)


class TestEvents:
    def test_a_change_is_one_room_updated_event_with_the_public_room_but_its_url(self, api, room, owner):
        response = api.patch(URL, {"topic": "Mitosis", "paused": True, "slow_mode_seconds": 30}, token=owner.token)

        events = api.get(URL + "/events?since=0").body["events"]
        public = api.get(URL).body
        del public["url"]
        assert events == [{"type": "room.updated", "seq": 1, "room": public}]
        assert "role" not in events[0]["room"]
        assert "open_reports" not in events[0]["room"]
        assert response.body["seq"] == 1

    def test_no_effective_change_answers_200_and_records_no_event(self, api, room, owner):
        response = api.patch(URL, {"topic": "Cells", "paused": False, "slow_mode_seconds": 0}, token=owner.token)

        assert response.status == 200
        assert response.body["seq"] == 0
        assert room_updates(room) == []

    def test_an_empty_body_changes_nothing(self, api, room, owner):
        assert api.patch(URL, {}, token=owner.token).status == 200
        assert room_updates(room) == []

    def test_each_change_takes_the_next_seq(self, api, room, owner, participant):
        api.post(URL + "/messages", {"text": "hi"}, token=participant.token)
        api.patch(URL, {"paused": True}, token=owner.token)
        api.patch(URL, {"paused": False}, token=owner.token)

        events = api.get(URL + "/events?since=0").body["events"]
        assert [(event["seq"], event["type"]) for event in events] == [
            (1, "message.created"),
            (2, "room.updated"),
            (3, "room.updated"),
        ]
        assert [event["room"]["paused"] for event in events[1:]] == [True, False]
        assert [event["room"]["seq"] for event in events[1:]] == [2, 3]


class TestSettings:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "physics"}, "name"),
            ({"owner": "someone"}, "owner"),
            ({"lifetime": "1y"}, "lifetime"),
            ({"paused": "true"}, "paused"),
            ({"paused": 1}, "paused"),
            ({"closed": None}, "closed"),
            ({"slow_mode_seconds": -1}, "slow_mode_seconds"),
            ({"slow_mode_seconds": 301}, "slow_mode_seconds"),
            ({"slow_mode_seconds": 2.5}, "slow_mode_seconds"),
            ({"slow_mode_seconds": True}, "slow_mode_seconds"),
            ({"slow_mode_seconds": "30"}, "slow_mode_seconds"),
            ({"password": "abc"}, "password"),
            ({"password": "12345"}, "password"),
            ({"password": "x" * 129}, "password"),
            ({"password": 1234}, "password"),
            ({"password": "tab\there"}, "password"),
        ],
    )
    def test_a_bad_setting_returns_400_naming_it(self, api, room, owner, body, field):
        response = api.patch(URL, body, token=owner.token)

        assert error_of(response) == (400, "invalid")
        assert response.body["error"]["field"] == field
        assert Room.objects.get(pk=room.pk).seq == 0

    @pytest.mark.parametrize("seconds", [0, 1, 300])
    def test_slow_mode_takes_zero_to_three_hundred_seconds(self, api, room, owner, seconds):
        response = api.patch(URL, {"slow_mode_seconds": seconds}, token=owner.token)

        assert response.body["slow_mode_seconds"] == seconds

    def test_a_body_that_is_not_an_object_returns_400(self, api, room, owner):
        assert error_of(api.patch(URL, ["paused"], token=owner.token)) == (400, "invalid_json")


class TestClosing:
    def test_closed_true_closes_an_open_room_now(self, api, room, owner, clock):
        clock.freeze()

        response = api.patch(URL, {"closed": True}, token=owner.token)

        assert response.body["is_open"] is False
        assert response.body["closes_at"] == timestamp(clock.now())

    def test_closing_a_closed_room_changes_nothing(self, api, room, owner, clock):
        api.patch(URL, {"closed": True}, token=owner.token)
        closes_at = api.get(URL).body["closes_at"]
        clock.advance(timedelta(hours=1))

        response = api.patch(URL, {"closed": True}, token=owner.token)

        assert response.body["closes_at"] == closes_at
        assert len(room_updates(room)) == 1

    def test_closed_false_reopens_a_closed_room_for_a_whole_new_lifetime(self, api, make_teacher, clock):
        teacher = make_teacher("lab@school.example")
        api.post("/api/rooms", {"name": "biology", "lifetime": "2h"}, token=teacher.token)
        clock.freeze()
        clock.advance(timedelta(hours=3))
        assert api.get(URL).body["is_open"] is False

        response = api.patch(URL, {"closed": False}, token=teacher.token)

        assert response.body["is_open"] is True
        assert response.body["closes_at"] == timestamp(clock.now() + timedelta(hours=2))

    def test_closed_false_on_an_open_room_changes_nothing(self, api, room, owner):
        closes_at = api.get(URL).body["closes_at"]

        response = api.patch(URL, {"closed": False}, token=owner.token)

        assert response.body["closes_at"] == closes_at
        assert room_updates(room) == []

    def test_a_closed_room_can_still_be_changed(self, api, room, owner):
        api.patch(URL, {"closed": True}, token=owner.token)

        assert api.patch(URL, {"topic": "Wrap-up"}, token=owner.token).body["topic"] == "Wrap-up"


class TestPassword:
    def test_a_password_makes_the_room_private_and_is_never_returned(self, api, room, owner):
        response = api.patch(URL, {"password": "mitosis"}, token=owner.token)

        assert response.body["is_private"] is True
        assert "mitosis" not in str(response.body)
        stored = Room.objects.get(pk=room.pk)
        assert stored.password_hash
        assert "mitosis" not in stored.password_hash
        assert "mitosis" not in str(RoomEvent.objects.get(room=room).data)

    def test_a_password_needs_six_characters(self, api, room, owner):
        too_short = api.patch(URL, {"password": "cells"}, token=owner.token)
        shortest = api.patch(URL, {"password": "tissue"}, token=owner.token)

        assert error_of(too_short) == (400, "invalid")
        assert "6–128" in too_short.body["error"]["message"]
        assert shortest.body["is_private"] is True

    def test_a_moderator_may_set_the_password(self, api, room, moderator):
        assert api.patch(URL, {"password": "mitosis"}, token=moderator.token).body["is_private"] is True

    def test_setting_a_password_retires_every_participant_token(self, api, room, owner, participant):
        api.patch(URL, {"password": "mitosis"}, token=owner.token)

        response = api.post(URL + "/messages", {"text": "still here?"}, token=participant.token)

        assert error_of(response) == (401, "invalid_token")
        assert error_of(api.get(URL, token=participant.token)) == (401, "invalid_token")

    def test_changing_the_password_retires_tokens_from_the_old_one(self, api, room, owner):
        api.patch(URL, {"password": "mitosis"}, token=owner.token)
        joined = api.post(URL + "/join", {"nickname": "sam", "password": "mitosis"}).body["token"]

        api.patch(URL, {"password": "meiosis"}, token=owner.token)

        assert error_of(api.get(URL + "/messages", token=joined)) == (401, "invalid_token")

    def test_setting_the_same_password_again_changes_nothing(self, api, room, owner):
        api.patch(URL, {"password": "mitosis"}, token=owner.token)
        joined = api.post(URL + "/join", {"nickname": "sam", "password": "mitosis"}).body["token"]

        api.patch(URL, {"password": "mitosis"}, token=owner.token)

        assert api.post(URL + "/messages", {"text": "still here"}, token=joined).status == 201
        assert len(room_updates(room)) == 1

    @pytest.mark.parametrize("cleared", [None, ""])
    def test_clearing_the_password_makes_the_room_public_and_keeps_everyone_in(self, api, room, owner, cleared):
        api.patch(URL, {"password": "mitosis"}, token=owner.token)
        joined = api.post(URL + "/join", {"nickname": "sam", "password": "mitosis"}).body["token"]

        response = api.patch(URL, {"password": cleared}, token=owner.token)

        assert response.body["is_private"] is False
        assert api.get(URL).status == 200
        assert api.post(URL + "/messages", {"text": "still here"}, token=joined).status == 201
        assert [update["is_private"] for update in room_updates(room)] == [True, False]

    def test_clearing_a_public_rooms_password_changes_nothing(self, api, room, owner):
        assert api.patch(URL, {"password": None}, token=owner.token).status == 200
        assert room_updates(room) == []

    def test_teachers_keep_their_access_through_a_password_change(self, api, room, owner, moderator):
        api.patch(URL, {"password": "mitosis"}, token=owner.token)

        assert api.get(URL, token=moderator.token).status == 200
        assert api.post(URL + "/messages", {"text": "hello"}, token=moderator.token).status == 201

"""GET /api/rooms/<name>"""

from __future__ import annotations

from datetime import timedelta

import pytest

from rooms import services
from rooms.payloads import timestamp
from rooms.tests.personas import matrix
from tests.assertions import error_of


def test_anyone_reads_a_room_without_a_token(api, room):
    response = api.get("/api/rooms/biology")

    assert response.status == 200
    assert response.body == {
        "name": "biology",
        "topic": "Cells",
        "url": "http://testserver/biology/",
        "created_at": timestamp(room.created_at),
        "closes_at": timestamp(room.closes_at),
        "is_open": True,
        "seq": 0,
        "lifetime": "1w",
        "paused": False,
        "slow_mode_seconds": 0,
        "is_private": False,
        "review": False,
        "word_filter": "off",
        "anonymous": False,
        "joining_locked": False,
    }


def test_seq_is_the_head_of_the_rooms_stream(api, room, participant, owner):
    message, _ = services.message_post(room=room, author=participant.obj, text="hi")
    services.message_delete(room=room, message=message, deleted_by=owner.obj)

    assert api.get("/api/rooms/biology").body["seq"] == 2


def test_the_name_is_matched_case_insensitively(api, room):
    response = api.get("/api/rooms/BIOLOGY")

    assert response.status == 200
    assert response.body["name"] == "biology"


def test_a_token_holder_reads_it_too(api, room, other_teacher):
    assert api.get("/api/rooms/biology", token=other_teacher.token).status == 200


def test_an_unknown_room_returns_404(api, room):
    response = api.get("/api/rooms/chemistry")

    assert error_of(response) == (404, "room_not_found")


def test_a_name_that_could_never_exist_returns_404(api, room):
    response = api.get("/api/rooms/no%00such%20room")

    assert error_of(response) == (404, "room_not_found")


def test_posting_to_a_room_returns_405(api, room, owner):
    response = api.post("/api/rooms/biology", {}, token=owner.token)

    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == "DELETE, GET, PATCH"


@pytest.mark.parametrize(
    ("persona", "role"),
    matrix(anonymous=None, participant=None, muted=None, other_teacher=None, moderator="moderator", owner="owner"),
)
def test_only_the_rooms_teachers_see_their_role_and_open_reports(api, room, token_of, persona, role):
    response = api.get("/api/rooms/biology", token=token_of(persona))

    assert response.status == 200
    if role is None:
        assert "role" not in response.body
        assert "open_reports" not in response.body
    else:
        assert (response.body["role"], response.body["open_reports"]) == (role, 0)


def test_closes_at_follows_the_lifetime_and_is_open_follows_the_clock(api, owner, clock):
    clock.freeze()
    api.post("/api/rooms", {"name": "quick", "lifetime": "2h"}, token=owner.token)

    clock.advance(timedelta(hours=2) - timedelta(milliseconds=1))
    before = api.get("/api/rooms/quick").body
    clock.advance(timedelta(milliseconds=1))
    after = api.get("/api/rooms/quick").body

    assert before["closes_at"] == after["closes_at"] == timestamp(clock.now())
    assert (before["is_open"], after["is_open"]) == (True, False)


class TestPrivateRoom:
    @pytest.fixture
    def private(self, room, participant, muted, moderator, owner):
        # Joined (participant, muted) before the password: they are retired by it.
        services.room_update(room=room, changes={"password": "mitosis"})
        return room

    def test_strangers_get_403_password_required_with_just_enough_to_ask_for_it(self, api, private):
        response = api.get("/api/rooms/biology")

        assert error_of(response) == (403, "password_required")
        assert response.body["error"]["room"] == {"name": "biology", "is_private": True}
        assert "Cells" not in str(response.body)

    def test_another_teacher_gets_403_password_required(self, api, private, other_teacher):
        assert error_of(api.get("/api/rooms/biology", token=other_teacher.token)) == (403, "password_required")

    @pytest.mark.parametrize("persona", ["owner", "moderator"])
    def test_the_rooms_teachers_read_it(self, api, private, token_of, persona):
        response = api.get("/api/rooms/biology", token=token_of(persona))

        assert response.status == 200
        assert response.body["is_private"] is True

    @pytest.mark.parametrize("persona", ["participant", "muted"])
    def test_participants_from_before_the_password_get_401(self, api, private, token_of, persona):
        assert error_of(api.get("/api/rooms/biology", token=token_of(persona))) == (401, "invalid_token")

    def test_someone_who_joined_with_the_password_reads_it(self, api, private):
        token = api.post("/api/rooms/biology/join", {"nickname": "kim", "password": "mitosis"}).body["token"]

        assert api.get("/api/rooms/biology", token=token).status == 200

    def test_a_participant_of_another_room_gets_403(self, api, private, owner, make_participant):
        elsewhere = services.room_create(owner=owner.obj, name="chemistry")

        response = api.get("/api/rooms/biology", token=make_participant(elsewhere, "kim").token)

        assert error_of(response) == (403, "password_required")

"""GET and POST /api/rooms/<name>/moderators"""

from __future__ import annotations

import pytest

from rooms.models import RoomModerator
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY, OWNER_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology/moderators"


@pytest.fixture
def colleague(make_teacher):
    return make_teacher("science@school.example")


@pytest.mark.parametrize(("persona", "expected"), OWNER_ONLY)
def test_only_the_owner_adds_moderators(api, room, colleague, token_of, persona, expected):
    response = api.post(URL, {"email": "science@school.example"}, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 201
        assert response.body == {"moderator": {"email": "science@school.example"}}
    else:
        assert error_of(response) == expected
        assert not RoomModerator.objects.filter(teacher=colleague.obj).exists()


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_the_rooms_teachers_list_the_moderators(api, room, token_of, persona, expected):
    response = api.get(URL, token=token_of(persona))

    if expected == ALLOWED:
        assert response.body == {"moderators": [{"email": "helper@school.example"}]}
    else:
        assert error_of(response) == expected


def test_a_new_moderator_may_moderate_at_once(api, room, owner, colleague, participant):
    api.post(URL, {"email": "science@school.example"}, token=owner.token)

    assert api.patch("/api/rooms/biology", {"paused": True}, token=colleague.token).status == 200
    assert api.get("/api/rooms/biology", token=colleague.token).body["role"] == "moderator"


def test_moderators_are_listed_in_the_order_they_were_added(api, room, owner, moderator, colleague):
    api.post(URL, {"email": "science@school.example"}, token=owner.token)

    assert api.get(URL, token=owner.token).body["moderators"] == [
        {"email": "helper@school.example"},
        {"email": "science@school.example"},
    ]


def test_the_email_is_matched_in_any_case_and_with_spaces(api, room, owner, colleague):
    response = api.post(URL, {"email": "  Science@School.EXAMPLE "}, token=owner.token)

    assert response.status == 201
    assert response.body == {"moderator": {"email": "science@school.example"}}


def test_adding_a_moderator_again_answers_200_and_adds_nothing(api, room, owner, colleague):
    api.post(URL, {"email": "science@school.example"}, token=owner.token)

    again = api.post(URL, {"email": "science@school.example"}, token=owner.token)

    assert again.status == 200
    assert again.body == {"moderator": {"email": "science@school.example"}}
    assert RoomModerator.objects.filter(teacher=colleague.obj).count() == 1


def test_an_unknown_teacher_gets_404(api, room, owner):
    response = api.post(URL, {"email": "nobody@school.example"}, token=owner.token)

    assert error_of(response) == (404, "teacher_not_found")
    assert not RoomModerator.objects.exists()


def test_the_owner_cannot_be_their_own_moderator(api, room, owner):
    response = api.post(URL, {"email": "owner@school.example"}, token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "email"


@pytest.mark.parametrize("email", [None, "", "not an email", 42, ["a@b.example"], "a\x00@school.example"])
def test_a_missing_or_malformed_email_returns_400(api, room, owner, email):
    response = api.post(URL, {"email": email}, token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "email"


def test_a_moderator_cannot_add_moderators(api, room, moderator, colleague):
    response = api.post(URL, {"email": "science@school.example"}, token=moderator.token)

    assert error_of(response) == (403, "not_owner")


def test_an_unknown_room_gets_404(api, room, owner, colleague):
    response = api.post("/api/rooms/chemistry/moderators", {"email": "science@school.example"}, token=owner.token)

    assert error_of(response) == (404, "room_not_found")

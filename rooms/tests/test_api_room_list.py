"""GET /api/rooms"""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import moderator_made
from rooms import services
from tests.assertions import error_of

URL = "/api/rooms"


def names(response) -> list[str]:
    assert response.status == 200, response.body
    return [room["name"] for room in response.body["rooms"]]


@pytest.fixture
def rooms(owner, other_teacher, clock):
    """The owner's rooms, created a minute apart, plus one they moderate and one they don't."""
    made = []
    for name in ("algebra", "biology", "chemistry"):
        made.append(services.room_create(owner=owner.obj, name=name))
        clock.advance(timedelta(minutes=1))
    colleagues = services.room_create(owner=other_teacher.obj, name="drama")
    moderator_made(colleagues, owner.obj)
    clock.advance(timedelta(minutes=1))
    services.room_create(owner=other_teacher.obj, name="english")
    return made


def test_a_teacher_sees_the_rooms_they_own_or_moderate_newest_first(api, rooms, owner):
    assert names(api.get(URL, token=owner.token)) == ["drama", "chemistry", "biology", "algebra"]


def test_each_room_comes_in_the_moderator_view_with_the_teachers_role(api, rooms, owner):
    listed = {room["name"]: room for room in api.get(URL, token=owner.token).body["rooms"]}

    assert listed["biology"] == api.get("/api/rooms/biology", token=owner.token).body
    assert (listed["biology"]["role"], listed["drama"]["role"]) == ("owner", "moderator")


def test_open_reports_are_counted_per_room(api, rooms, owner, make_participant):
    biology = rooms[1]
    sam, kim = make_participant(biology, "sam"), make_participant(biology, "kim")
    message = services.message_post(room=biology, author=sam.obj, text="mean")[0]
    other = services.message_post(room=biology, author=sam.obj, text="meaner")[0]
    services.report_create(room=biology, reporter=kim.obj, message=message)
    services.report_create(room=biology, reporter=kim.obj, message=other)
    dismissed, _ = services.report_create(room=biology, reporter=sam.obj, message=other)
    services.report_resolve(room=biology, report=dismissed, action="dismiss", resolved_by=owner.obj)

    listed = {room["name"]: room["open_reports"] for room in api.get(URL, token=owner.token).body["rooms"]}

    assert listed == {"algebra": 0, "biology": 2, "chemistry": 0, "drama": 0}


def test_q_keeps_the_rooms_whose_name_contains_it_in_any_case(api, rooms, owner):
    assert names(api.get(URL + "?q=O", token=owner.token)) == ["biology"]
    assert names(api.get(URL + "?q=%20ra%20", token=owner.token)) == ["drama", "algebra"]


@pytest.mark.parametrize("query", ["no%00such", "%E2%80%AE", "x" * 41, "bio logy", "_"])
def test_a_q_no_room_name_could_hold_finds_nothing(api, rooms, owner, query):
    assert names(api.get(URL + "?q=" + query, token=owner.token)) == []


def test_state_splits_open_and_closed_rooms(api, rooms, owner, clock):
    services.room_update(room=rooms[0], changes={"closed": True})

    assert names(api.get(URL + "?state=closed", token=owner.token)) == ["algebra"]
    assert names(api.get(URL + "?state=open", token=owner.token)) == ["drama", "chemistry", "biology"]


def test_rooms_close_by_time_on_their_own(api, owner, clock):
    services.room_create(owner=owner.obj, name="quick", lifetime="2h")
    services.room_create(owner=owner.obj, name="slow", lifetime="1d")

    clock.advance(timedelta(hours=2))

    assert names(api.get(URL + "?state=closed", token=owner.token)) == ["quick"]
    assert names(api.get(URL + "?state=open", token=owner.token)) == ["slow"]


def test_an_unknown_state_returns_400(api, rooms, owner):
    response = api.get(URL + "?state=archived", token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "state"


def test_a_teacher_with_no_rooms_gets_an_empty_list(api, rooms, make_teacher):
    assert names(api.get(URL, token=make_teacher("new@school.example").token)) == []


def test_no_credentials_get_401(api, rooms):
    assert error_of(api.get(URL)) == (401, "unauthenticated")


def test_a_participant_gets_403(api, rooms, make_participant):
    assert error_of(api.get(URL, token=make_participant(rooms[0]).token)) == (403, "teacher_only")


def test_a_signed_in_browser_lists_its_rooms(rooms, owner, client):
    client.force_login(owner.obj)

    response = client.get(URL)

    assert [room["name"] for room in response.json()["rooms"]] == ["drama", "chemistry", "biology", "algebra"]

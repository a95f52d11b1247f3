"""GET /api/rooms/<name>/reports"""

from __future__ import annotations

import pytest

from rooms import services
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology/reports"


@pytest.fixture
def reports(room, owner, participant, make_participant):
    """Three reports on two messages: the first is dismissed, the other two are open."""
    troll = make_participant(room, "troll")
    first = services.message_post(room=room, author=troll.obj, text="first")[0]
    second = services.message_post(room=room, author=troll.obj, text="second")[0]
    kim = make_participant(room, "kim")
    made = [
        services.report_create(room=room, reporter=participant.obj, message=first, reason="a")[0],
        services.report_create(room=room, reporter=participant.obj, message=second, reason="b")[0],
        services.report_create(room=room, reporter=kim.obj, message=second, reason="c")[0],
    ]
    services.report_resolve(room=room, report=made[0], action="dismiss", resolved_by=owner.obj)
    return made


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_see_reports(api, reports, token_of, persona, expected):
    response = api.get(URL, token=token_of(persona))

    if expected == ALLOWED:
        assert [report["reason"] for report in response.body["reports"]] == ["b", "c"]
    else:
        assert error_of(response) == expected


def test_open_reports_are_the_default_oldest_first(api, reports, owner):
    assert api.get(URL, token=owner.token).body == api.get(URL + "?state=open", token=owner.token).body
    assert [report["id"] for report in api.get(URL, token=owner.token).body["reports"]] == [
        reports[1].pk,
        reports[2].pk,
    ]


def test_state_all_includes_resolved_reports_with_who_resolved_them(api, reports, owner):
    listed = api.get(URL + "?state=all", token=owner.token).body["reports"]

    assert [(report["reason"], report["resolution"], report["resolved_by"]) for report in listed] == [
        ("a", "dismissed", "owner@school.example"),
        ("b", None, None),
        ("c", None, None),
    ]
    assert listed[0]["resolved_at"] is not None


def test_a_report_on_a_deleted_message_still_shows_its_text_to_teachers(api, room, reports, owner, moderator):
    message = reports[1].message
    services.message_delete(room=room, message=message, deleted_by=moderator.obj)

    listed = api.get(URL + "?state=all", token=owner.token).body["reports"]

    assert listed[1]["message"]["text"] == "second"
    assert (listed[1]["message"]["deleted"], listed[1]["message"]["deleted_by"]) == (True, "helper@school.example")
    assert [report["resolution"] for report in listed] == ["dismissed", "deleted", "deleted"]


def test_the_moderator_room_view_counts_open_reports(api, reports, owner):
    assert api.get("/api/rooms/biology", token=owner.token).body["open_reports"] == 2


@pytest.mark.parametrize("state", ["closed", "OPEN", "1"])
def test_an_unknown_state_returns_400(api, reports, owner, state):
    response = api.get(URL + f"?state={state}", token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "state"

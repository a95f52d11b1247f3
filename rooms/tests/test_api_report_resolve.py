"""POST /api/rooms/<name>/reports/<id>/resolve"""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Message, Report, RoomEvent
from rooms.payloads import timestamp
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of


@pytest.fixture
def message(room, make_participant) -> Message:
    return services.message_post(room=room, author=make_participant(room, "troll").obj, text="mean words")[0]


@pytest.fixture
def report(room, message, participant) -> Report:
    return services.report_create(room=room, reporter=participant.obj, message=message, reason="rude")[0]


def url(report: Report, room_name: str = "biology") -> str:
    return f"/api/rooms/{room_name}/reports/{report.pk}/resolve"


def events_after(api, seq: int) -> list[dict]:
    return api.get(f"/api/rooms/biology/events?since={seq}").body["events"]


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_resolve_reports(api, report, token_of, persona, expected):
    response = api.post(url(report), {"action": "dismiss"}, token=token_of(persona))

    if expected == ALLOWED:
        assert response.body["report"]["resolution"] == "dismissed"
    else:
        assert error_of(response) == expected
        assert Report.objects.get(pk=report.pk).is_open


def test_dismissing_keeps_the_message_and_records_who_and_when(api, room, report, message, moderator, clock):
    clock.freeze()
    head = api.get("/api/rooms/biology").body["seq"]

    response = api.post(url(report), {"action": "dismiss"}, token=moderator.token)

    assert response.status == 200
    body = response.body["report"]
    assert (body["resolution"], body["resolved_by"], body["resolved_at"]) == (
        "dismissed",
        "helper@school.example",
        timestamp(clock.now()),
    )
    assert body["message"]["deleted"] is False
    assert not Message.objects.get(pk=message.pk).is_deleted
    assert events_after(api, head) == [
        {
            "type": "report.resolved",
            "seq": head + 1,
            "report_id": report.pk,
            "message_id": message.pk,
            "resolution": "dismissed",
        }
    ]


def test_deleting_removes_the_message_and_resolves_every_open_report_on_it(
    api, room, report, message, owner, make_participant
):
    other = services.report_create(room=room, reporter=make_participant(room, "kim").obj, message=message)[0]
    head = api.get("/api/rooms/biology").body["seq"]

    response = api.post(url(report), {"action": "delete"}, token=owner.token)

    body = response.body["report"]
    assert (body["resolution"], body["resolved_by"]) == ("deleted", "owner@school.example")
    assert (body["message"]["deleted"], body["message"]["deleted_by"]) == (True, "owner@school.example")
    assert Report.objects.get(pk=other.pk).resolution == "deleted"
    assert api.get("/api/rooms/biology/messages").body["messages"] == []
    assert events_after(api, head) == [
        {"type": "message.deleted", "seq": head + 1, "message_id": message.pk},
        {
            "type": "report.resolved",
            "seq": head + 2,
            "report_id": report.pk,
            "message_id": message.pk,
            "resolution": "deleted",
        },
        {
            "type": "report.resolved",
            "seq": head + 3,
            "report_id": other.pk,
            "message_id": message.pk,
            "resolution": "deleted",
        },
    ]


@pytest.mark.parametrize("action", ["dismiss", "delete"])
def test_resolving_a_resolved_report_changes_nothing(api, room, report, owner, moderator, action):
    first = api.post(url(report), {"action": "dismiss"}, token=owner.token).body
    events = RoomEvent.objects.count()

    again = api.post(url(report), {"action": action}, token=moderator.token)

    assert again.status == 200
    assert again.body == first
    assert RoomEvent.objects.count() == events
    assert not Message.objects.get(pk=report.message_id).is_deleted


@pytest.mark.parametrize("action", [None, "", "remove", "DELETE", 1, ["delete"]])
def test_an_unknown_action_returns_400(api, report, owner, action):
    response = api.post(url(report), {"action": action}, token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "action"
    assert Report.objects.get(pk=report.pk).is_open


def test_an_unknown_report_gets_404(api, report, owner):
    response = api.post(
        f"/api/rooms/biology/reports/{report.pk + 100}/resolve", {"action": "dismiss"}, token=owner.token
    )

    assert error_of(response) == (404, "report_not_found")


def test_another_rooms_report_gets_404_and_stays_open(api, room, report, other_teacher):
    services.room_create(owner=other_teacher.obj, name="chemistry")

    response = api.post(url(report, "chemistry"), {"action": "delete"}, token=other_teacher.token)

    assert error_of(response) == (404, "report_not_found")
    assert Report.objects.get(pk=report.pk).is_open

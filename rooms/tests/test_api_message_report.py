"""POST /api/rooms/<name>/messages/<id>/report"""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Message, Report
from rooms.payloads import timestamp
from rooms.tests.personas import ALLOWED, matrix
from tests.assertions import error_of


@pytest.fixture
def message(room, make_participant) -> Message:
    return services.message_post(room=room, author=make_participant(room, "troll").obj, text="you all smell")[0]


def url(message: Message, room_name: str = "biology") -> str:
    return f"/api/rooms/{room_name}/messages/{message.pk}/report"


@pytest.mark.parametrize(
    ("persona", "expected"),
    matrix(
        anonymous=(401, "unauthenticated"),
        participant=ALLOWED,
        muted=ALLOWED,
        other_teacher=(403, "not_participant"),
        moderator=(403, "not_participant"),
        owner=(403, "not_participant"),
    ),
)
def test_participants_report_and_teachers_delete_instead(api, message, token_of, persona, expected):
    response = api.post(url(message), {"reason": "rude"}, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 201
    else:
        assert error_of(response) == expected
        assert not Report.objects.exists()


def test_a_report_answers_201_with_the_report_and_the_message_as_the_reporter_saw_it(api, message, participant, clock):
    clock.freeze()

    response = api.post(url(message), {"reason": "  rude  "}, token=participant.token)

    report = Report.objects.get()
    assert response.body == {
        "report": {
            "id": report.pk,
            "message": {
                "id": message.pk,
                "seq": 1,
                "nickname": "troll",
                "text": "you all smell",
                "created_at": timestamp(message.created_at),
                "client_id": None,
                "participant_id": message.participant_id,
                "color": message.color,
                "role": "participant",
                "status": "published",
                "anonymous": False,
                "upvotes": 0,
                "pinned": False,
                "answered": False,
            },
            "reason": "rude",
            "reporter": {
                "id": participant.obj.pk,
                "nickname": "sam",
                "color": participant.obj.color,
                "muted": False,
                "removed": False,
            },
            "created_at": timestamp(clock.now()),
            "resolved_at": None,
            "resolution": None,
            "resolved_by": None,
        }
    }


def test_the_reason_is_optional(api, message, participant):
    response = api.post(url(message), token=participant.token)

    assert response.status == 201
    assert response.body["report"]["reason"] == ""


def test_a_report_is_streamed_without_its_details(api, message, participant):
    report_id = api.post(url(message), {"reason": "rude"}, token=participant.token).body["report"]["id"]

    events = api.get("/api/rooms/biology/events?since=1").body["events"]

    assert events == [{"type": "report.created", "seq": 2, "report_id": report_id, "message_id": message.pk}]


def test_reporting_again_answers_200_with_the_same_open_report(api, message, participant):
    first = api.post(url(message), {"reason": "rude"}, token=participant.token)

    again = api.post(url(message), {"reason": "really rude"}, token=participant.token)

    assert again.status == 200
    assert again.body == first.body
    assert Report.objects.count() == 1
    assert api.get("/api/rooms/biology").body["seq"] == 2


def test_two_participants_each_file_a_report(api, room, message, participant, make_participant):
    api.post(url(message), token=participant.token)

    assert api.post(url(message), token=make_participant(room, "kim").token).status == 201
    assert Report.objects.count() == 2


def test_after_a_dismissal_the_same_participant_may_report_again(api, room, message, participant, owner):
    first = api.post(url(message), token=participant.token).body["report"]
    services.report_resolve(
        room=room, report=Report.objects.get(pk=first["id"]), action="dismiss", resolved_by=owner.obj
    )

    again = api.post(url(message), {"reason": "still rude"}, token=participant.token)

    assert again.status == 201
    assert again.body["report"]["id"] != first["id"]


def test_a_deleted_message_cannot_be_reported(api, room, message, participant, owner):
    services.message_delete(room=room, message=message, deleted_by=owner.obj)

    assert error_of(api.post(url(message), token=participant.token)) == (404, "message_not_found")
    assert not Report.objects.exists()


def test_an_unknown_message_gets_404(api, room, message, participant):
    response = api.post(f"/api/rooms/biology/messages/{message.pk + 100}/report", token=participant.token)

    assert error_of(response) == (404, "message_not_found")


def test_another_rooms_message_gets_404(api, room, owner, participant, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")
    foreign = services.message_post(room=elsewhere, author=make_participant(elsewhere, "kim").obj, text="hi")[0]

    assert error_of(api.post(url(foreign), token=participant.token)) == (404, "message_not_found")


def test_a_participant_of_another_room_gets_403(api, message, owner, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")

    response = api.post(url(message), token=make_participant(elsewhere, "kim").token)

    assert error_of(response) == (403, "not_participant")


@pytest.mark.parametrize("reason", ["x" * 201, "bad\x07bell", 5, ["rude"]])
def test_a_bad_reason_returns_400(api, message, participant, reason):
    response = api.post(url(message), {"reason": reason}, token=participant.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "reason"
    assert not Report.objects.exists()


def test_a_report_can_be_filed_in_a_closed_room(api, room, message, participant, owner):
    api.patch("/api/rooms/biology", {"closed": True}, token=owner.token)

    assert api.post(url(message), token=participant.token).status == 201

"""GET /api/rooms/<name>/events"""

from __future__ import annotations

import json

import pytest

from rooms import services
from rooms.models import RoomEvent
from rooms.payloads import event_payload, timestamp
from tests.assertions import error_of
from tests.room_listener import RoomListener

URL = "/api/rooms/biology/events"


@pytest.fixture
def stream(room, owner, participant):
    """Events 1–3 create messages, 4 deletes the second one, 5 creates another."""
    first = services.message_post(room=room, author=participant.obj, text="first")[0]
    secret = services.message_post(room=room, author=participant.obj, text="a secret")[0]
    third = services.message_post(room=room, author=owner.obj, text="third")[0]
    services.message_delete(room=room, message=secret, deleted_by=owner.obj)
    fifth = services.message_post(room=room, author=participant.obj, text="fifth")[0]
    return {"first": first, "secret": secret, "third": third, "fifth": fifth}


def test_events_since_zero_replay_the_whole_stream(api, stream):
    response = api.get(URL + "?since=0")

    assert response.status == 200
    assert set(response.body) == {"events", "seq", "has_more"}
    assert [(event["seq"], event["type"]) for event in response.body["events"]] == [
        (1, "message.created"),
        (2, "message.created"),
        (3, "message.created"),
        (4, "message.deleted"),
        (5, "message.created"),
    ]
    assert response.body["seq"] == 5
    assert response.body["has_more"] is False


def test_events_have_the_same_shape_as_the_websocket_frames(api, stream, room):
    response = api.get(URL + "?since=0")

    # The stream sends event_payload() too; the API must not add or drop anything.
    assert response.body["events"] == [event_payload(event) for event in RoomEvent.objects.filter(room=room)]
    created = response.body["events"][0]
    assert created == {
        "type": "message.created",
        "seq": 1,
        "message": {
            "id": stream["first"].pk,
            "seq": 1,
            "nickname": "sam",
            "text": "first",
            "created_at": timestamp(stream["first"].created_at),
            "client_id": None,
            "participant_id": stream["first"].participant_id,
            "color": stream["first"].participant.color,
            "role": "participant",
            "status": "published",
            "anonymous": False,
            "upvotes": 0,
            "pinned": False,
            "answered": False,
        },
    }
    assert response.body["events"][3] == {"type": "message.deleted", "seq": 4, "message_id": stream["secret"].pk}


def test_a_deleted_message_replays_as_id_seq_and_deleted_only(api, stream):
    response = api.get(URL + "?since=1&limit=1")

    assert response.body["events"] == [
        {"type": "message.created", "seq": 2, "message": {"id": stream["secret"].pk, "seq": 2, "deleted": True}}
    ]


def test_a_deleted_messages_text_and_nickname_appear_nowhere(api, room, owner, make_participant):
    whistleblower = make_participant(room, "Zed Quux")
    secret = services.message_post(room=room, author=whistleblower.obj, text="the password is swordfish")[0]
    services.message_delete(room=room, message=secret, deleted_by=owner.obj)

    response = api.get(URL + "?since=0")

    raw = json.dumps(response.body)
    assert "swordfish" not in raw
    assert "Zed Quux" not in raw


def test_since_starts_after_the_given_seq(api, stream):
    response = api.get(URL + "?since=3")

    assert [event["seq"] for event in response.body["events"]] == [4, 5]


def test_since_at_the_head_is_empty(api, stream):
    response = api.get(URL + "?since=5")

    assert response.status == 200
    assert response.body == {"events": [], "seq": 5, "has_more": False}


def test_a_new_room_has_no_events(api, room):
    assert api.get(URL + "?since=0").body == {"events": [], "seq": 0, "has_more": False}


def test_limit_cuts_the_page_and_has_more_says_so(api, stream):
    response = api.get(URL + "?since=1&limit=2")

    assert [event["seq"] for event in response.body["events"]] == [2, 3]
    assert response.body["has_more"] is True
    assert response.body["seq"] == 5


def test_limit_defaults_to_a_hundred(api, room, owner):
    for index in range(101):
        services.message_post(room=room, author=owner.obj, text=f"note {index}")

    response = api.get(URL + "?since=0")

    assert len(response.body["events"]) == 100
    assert response.body["has_more"] is True
    follow_up = api.get(URL + "?since=100")
    assert [event["seq"] for event in follow_up.body["events"]] == [101]
    assert follow_up.body["has_more"] is False


def test_limits_of_one_and_a_hundred_are_accepted(api, stream):
    assert len(api.get(URL + "?since=0&limit=1").body["events"]) == 1
    assert len(api.get(URL + "?since=0&limit=100").body["events"]) == 5


def test_since_beyond_the_head_returns_409_reset(api, stream):
    response = api.get(URL + "?since=6")

    assert error_of(response) == (409, "reset")
    assert response.body["error"]["seq"] == 5


def test_since_in_a_new_room_beyond_zero_returns_409_reset(api, room):
    assert error_of(api.get(URL + "?since=1")) == (409, "reset")


def test_since_is_required(api, stream):
    response = api.get(URL)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "since"


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("since=-1", id="negative"),
        pytest.param("since=one", id="word"),
        pytest.param("since=1.5", id="fraction"),
        pytest.param("since=", id="empty"),
        pytest.param("since=" + "9" * 5000, id="five-thousand-digits"),
        pytest.param("since=0&limit=0", id="limit-zero"),
        pytest.param("since=0&limit=101", id="limit-over-100"),
        pytest.param("since=0&limit=x", id="limit-word"),
    ],
)
def test_bad_numbers_return_400(api, stream, query):
    assert error_of(api.get(f"{URL}?{query}")) == (400, "invalid")


def test_an_unknown_room_returns_404(api, stream):
    assert error_of(api.get("/api/rooms/chemistry/events?since=0")) == (404, "room_not_found")


def test_post_returns_405(api, stream, owner):
    assert error_of(api.post(URL, {}, token=owner.token)) == (405, "method_not_allowed")


class TestTeacherToolEvents:
    @pytest.fixture
    def tooled(self, room, owner, participant):
        """One event of every kind: post, room.updated, participant.updated, report.created/resolved, delete."""
        message = services.message_post(room=room, author=participant.obj, text="hey")[0]
        services.room_update(room=room, changes={"topic": "Mitosis"})
        services.participant_mute(room=room, participant=participant.obj, muted=True)
        report = services.report_create(room=room, reporter=participant.obj, message=message)[0]
        services.report_resolve(room=room, report=report, action="delete", resolved_by=owner.obj)
        return {"message": message, "report": report}

    def test_every_kind_of_event_replays_with_its_own_shape(self, api, tooled, participant, owner):
        events = api.get(URL + "?since=0", token=owner.token).body["events"]

        assert [event["type"] for event in events] == [
            "message.created",
            "room.updated",
            "participant.updated",
            "report.created",
            "message.deleted",
            "report.resolved",
        ]
        assert [event["seq"] for event in events] == [1, 2, 3, 4, 5, 6]
        assert events[1]["room"]["topic"] == "Mitosis"
        assert events[1]["room"]["seq"] == 2
        assert events[2]["participant"] == {
            "id": participant.obj.pk,
            "nickname": "sam",
            "color": participant.obj.color,
            "muted": True,
            "removed": False,
        }
        report_id, message_id = tooled["report"].pk, tooled["message"].pk
        assert events[3] == {"type": "report.created", "seq": 4, "report_id": report_id, "message_id": message_id}
        assert events[5] == {
            "type": "report.resolved",
            "seq": 6,
            "report_id": report_id,
            "message_id": message_id,
            "resolution": "deleted",
        }

    def test_a_room_updated_event_replays_the_room_as_it_was_then(self, api, tooled, owner):
        api.patch("/api/rooms/biology", {"topic": "Meiosis"}, token=owner.token)

        events = api.get(URL + "?since=1").body["events"]

        assert events[0]["room"]["topic"] == "Mitosis"
        assert events[-1]["room"]["topic"] == "Meiosis"

    def test_what_was_published_is_what_replays(
        self, api, room, owner, participant, django_capture_on_commit_callbacks
    ):
        listener = RoomListener(room.pk)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                message = services.message_post(room=room, author=participant.obj, text="hey")[0]
            for step in (
                lambda: services.room_update(room=room, changes={"paused": True}),
                lambda: services.participant_mute(room=room, participant=participant.obj, muted=True),
                lambda: services.report_create(room=room, reporter=participant.obj, message=message),
            ):
                with django_capture_on_commit_callbacks(execute=True):
                    step()
            published = [listener.next_event() for _ in range(4)]
        finally:
            listener.close()

        assert published == api.get(URL + "?since=0").body["events"]

    def test_a_private_rooms_events_need_its_password(self, api, tooled, owner):
        api.patch("/api/rooms/biology", {"password": "mitosis"}, token=owner.token)

        assert error_of(api.get(URL + "?since=0")) == (403, "password_required")
        token = api.post("/api/rooms/biology/join", {"nickname": "kim", "password": "mitosis"}).body["token"]
        assert len(api.get(URL + "?since=0", token=token).body["events"]) == 7

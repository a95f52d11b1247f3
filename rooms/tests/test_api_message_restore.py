"""POST /api/rooms/<name>/messages/<id>/restore"""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Message, RoomEvent
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

MESSAGES = "/api/rooms/biology/messages"


@pytest.fixture
def deleted(room, participant, owner) -> Message:
    message = services.message_post(room=room, author=participant.obj, text="deleted by a slip")[0]
    services.message_delete(room=room, message=message, deleted_by=owner.obj)
    return message


def url(message: Message, room_name: str = "biology") -> str:
    return f"/api/rooms/{room_name}/messages/{message.pk}/restore"


def events(api, since: int = 0, token: str | None = None) -> list[dict]:
    return api.get(f"/api/rooms/biology/events?since={since}", token=token).body["events"]


def test_the_owner_restores_a_deleted_message_for_everyone(api, room, owner, deleted):
    response = api.post(url(deleted), token=owner.token)

    assert response.status == 200
    assert response.body["message"]["text"] == "deleted by a slip"
    assert [message["text"] for message in api.get(MESSAGES).body["messages"]] == ["deleted by a slip"]
    stored = Message.objects.get(pk=deleted.pk)
    assert (stored.deleted_at, stored.deleted_by) == (None, None)


def test_a_restore_is_an_event_with_its_seq_and_the_message_back_where_it_was(api, room, owner, deleted):
    api.post(url(deleted), token=owner.token)

    [event] = events(api, since=2)
    assert (event["type"], event["seq"]) == ("message.restored", 3)
    assert (event["message"]["id"], event["message"]["seq"]) == (deleted.pk, 1)
    assert event["message"]["text"] == "deleted by a slip"
    assert api.get("/api/rooms/biology").body["seq"] == 3


def test_restoring_a_message_that_is_not_deleted_answers_200_and_changes_nothing(api, room, owner, participant):
    message = services.message_post(room=room, author=participant.obj, text="still here")[0]

    response = api.post(url(message), token=owner.token)

    assert response.status == 200
    assert response.body["message"]["text"] == "still here"
    assert RoomEvent.objects.filter(room=room).count() == 1


def test_restoring_twice_sends_one_event(api, room, owner, deleted):
    api.post(url(deleted), token=owner.token)

    again = api.post(url(deleted), token=owner.token)

    assert again.status == 200
    assert [event["type"] for event in events(api)] == ["message.created", "message.deleted", "message.restored"]


def test_a_restored_message_can_be_deleted_again_and_a_replay_never_shows_its_text(api, room, owner, deleted):
    api.post(url(deleted), token=owner.token)

    assert api.delete(f"{MESSAGES}/{deleted.pk}", token=owner.token).status == 204

    replay = events(api)
    assert [event["type"] for event in replay] == [
        "message.created",
        "message.deleted",
        "message.restored",
        "message.deleted",
    ]
    assert replay[2]["message"] == {"id": deleted.pk, "seq": 1, "deleted": True}
    assert "deleted by a slip" not in str(replay)


def test_a_restore_in_an_anonymous_room_names_the_author_only_to_teachers_and_to_them(
    api, room, owner, make_participant
):
    services.room_update(room=room, changes={"anonymous": True})
    sam = make_participant(room, "secret-sam")
    message = services.message_post(room=room, author=sam.obj, text="can I resit?")[0]
    services.message_delete(room=room, message=message, deleted_by=owner.obj)

    api.post(url(message), token=owner.token)

    def restored(token: str | None) -> dict:
        return events(api, token=token)[-1]["message"]

    assert restored(None)["nickname"] == "Anonymous"
    assert restored(None)["participant_id"] is None
    assert "secret-sam" not in str(events(api))
    assert restored(owner.token)["nickname"] == "secret-sam"
    assert restored(sam.token)["nickname"] == "secret-sam"


def test_reports_resolved_by_the_delete_stay_resolved(api, room, owner, participant, make_participant):
    message = services.message_post(room=room, author=participant.obj, text="rude")[0]
    services.report_create(room=room, reporter=make_participant(room, "kim").obj, message=message)
    services.message_delete(room=room, message=message, deleted_by=owner.obj)

    api.post(url(message), token=owner.token)

    reports = api.get("/api/rooms/biology/reports?state=all", token=owner.token).body["reports"]
    assert [report["resolution"] for report in reports] == ["deleted"]
    assert api.get("/api/rooms/biology/reports", token=owner.token).body["reports"] == []


def test_a_restored_message_is_not_pinned_again(api, room, owner, participant):
    message = services.message_post(room=room, author=participant.obj, text="question")[0]
    services.message_update(room=room, message=message, changes={"pinned": True})
    services.message_delete(room=room, message=message, deleted_by=owner.obj)

    restored = api.post(url(message), token=owner.token).body["message"]

    assert restored["pinned"] is False
    assert api.get(MESSAGES).body["pinned"] is None


def test_a_closed_room_still_takes_a_restore(api, room, owner, deleted):
    services.room_update(room=room, changes={"closed": True})

    assert api.post(url(deleted), token=owner.token).status == 200
    assert not Message.objects.get(pk=deleted.pk).is_deleted


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_who_may_restore_a_message(api, room, deleted, token_of, persona, expected):
    response = api.post(url(deleted), token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 200
        assert not Message.objects.get(pk=deleted.pk).is_deleted
    else:
        assert error_of(response) == expected
        assert Message.objects.get(pk=deleted.pk).is_deleted


def test_an_unknown_id_gets_404(api, room, owner, deleted):
    response = api.post(f"{MESSAGES}/{deleted.pk + 1000}/restore", token=owner.token)

    assert error_of(response) == (404, "message_not_found")


def test_a_message_from_another_room_gets_404_and_stays_deleted(api, room, owner, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")
    foreign = services.message_post(room=elsewhere, author=make_participant(elsewhere).obj, text="mine")[0]
    services.message_delete(room=elsewhere, message=foreign, deleted_by=owner.obj)

    response = api.post(url(foreign, room_name="biology"), token=owner.token)

    assert error_of(response) == (404, "message_not_found")
    assert Message.objects.get(pk=foreign.pk).is_deleted


def test_get_on_restore_returns_405(api, room, deleted):
    response = api.get(url(deleted))

    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"

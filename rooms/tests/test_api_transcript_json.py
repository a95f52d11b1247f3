"""GET /api/rooms/<name>/transcript.json"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from rooms import services
from rooms.models import Message
from rooms.payloads import timestamp
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology/transcript.json"


def download(api, url: str = URL, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return api.client.get(url, headers=headers)


def document(response) -> dict:
    return json.loads(b"".join(response.streaming_content))


@pytest.fixture
def transcript(room, owner, participant, moderator):
    """Three messages; the second is deleted."""
    texts = ["Is mitosis on the test?", "this class is dumb", "Yes: chapter 4 🧬"]
    messages = [services.message_post(room=room, author=participant.obj, text=text)[0] for text in texts]
    services.message_delete(room=room, message=messages[1], deleted_by=moderator.obj)
    return [Message.objects.get(pk=message.pk) for message in messages]


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_download_the_transcript(api, transcript, token_of, persona, expected):
    if expected == ALLOWED:
        assert len(document(download(api, token=token_of(persona)))["messages"]) == 2
    else:
        assert error_of(api.get(URL, token=token_of(persona))) == expected


def test_the_json_is_a_streamed_download_named_after_the_room(api, transcript, owner):
    response = download(api, token=owner.token)

    assert response.streaming
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="biology-transcript.json"'


def test_the_document_holds_the_room_and_its_visible_messages(api, transcript, owner, participant):
    first, _, third = transcript

    assert document(download(api, token=owner.token)) == {
        "room": "biology",
        "time_zone": "UTC",
        "messages": [
            {
                "seq": 1,
                "time": timestamp(first.created_at),
                "nickname": "sam",
                "participant_id": participant.obj.pk,
                "text": "Is mitosis on the test?",
                "deleted": False,
                "deleted_at": None,
                "time_zone": "UTC",
            },
            {
                "seq": 3,
                "time": timestamp(third.created_at),
                "nickname": "sam",
                "participant_id": participant.obj.pk,
                "text": "Yes: chapter 4 🧬",
                "deleted": False,
                "deleted_at": None,
                "time_zone": "UTC",
            },
        ],
    }


def test_include_deleted_adds_deleted_messages_marked_as_such(api, transcript, owner):
    messages = document(download(api, URL + "?include_deleted=1", token=owner.token))["messages"]

    assert [message["seq"] for message in messages] == [1, 2, 3]
    assert (messages[1]["text"], messages[1]["deleted"], messages[1]["deleted_at"]) == (
        "this class is dumb",
        True,
        timestamp(transcript[1].deleted_at),
    )


def test_an_empty_room_is_an_empty_list(api, room, owner):
    assert document(download(api, token=owner.token)) == {"room": "biology", "time_zone": "UTC", "messages": []}


def test_times_are_in_the_downloading_teachers_time_zone(api, transcript, owner, moderator):
    moderator.obj.time_zone = "America/Chicago"
    moderator.obj.save()
    first = transcript[0]

    seen = document(download(api, token=moderator.token))

    assert seen["time_zone"] == "America/Chicago"
    assert seen["messages"][0]["time_zone"] == "America/Chicago"
    assert seen["messages"][0]["time"] == first.created_at.astimezone(ZoneInfo("America/Chicago")).isoformat(
        timespec="milliseconds"
    )
    # The same instant, to the millisecond.
    assert datetime.fromisoformat(seen["messages"][0]["time"]) == first.created_at.replace(
        microsecond=first.created_at.microsecond // 1000 * 1000
    )


def test_a_teacher_whose_browser_never_said_gets_the_owners_zone(api, transcript, owner, moderator):
    owner.obj.time_zone = "Europe/Madrid"
    owner.obj.save()

    assert document(download(api, token=moderator.token))["time_zone"] == "Europe/Madrid"

"""/<name>/transcript/: the printable record of a room."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient, Client

from rooms import selectors, services

pytestmark = pytest.mark.django_db


def transcript_of(response) -> list[tuple[str, str, str]]:
    """(time, nickname, text) per message row, as printed."""
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    return re.findall(
        r'<tr data-testid="transcript-message"><td class="time"><time datetime="[^"]+">([^<]+)</time></td>'
        r'<td class="nickname" data-testid="transcript-nickname">([^<]*)</td>'
        r'<td class="text" data-testid="transcript-text">([^<]*)</td></tr>',
        content,
    )


@pytest.fixture
def conversation(room, participant, clock):
    clock.freeze()
    services.message_post(room=room, author=participant.obj, text="Is a virus alive?")
    clock.advance(timedelta(minutes=2))
    services.message_post(room=room, author=room.owner, text="Good question.")
    return room


def test_it_lists_every_visible_message_with_time_and_nickname(client, conversation, clock):
    first = clock.now() - timedelta(minutes=2)

    rows = transcript_of(client.get("/biology/transcript/"))

    assert rows == [
        (first.strftime("%H:%M"), "sam", "Is a virus alive?"),
        (clock.now().strftime("%H:%M"), "owner", "Good question."),
    ]


def test_deleted_messages_are_left_out(client, conversation, participant):
    message, _ = services.message_post(room=conversation, author=participant.obj, text="something mean")
    services.message_delete(room=conversation, message=message, deleted_by=conversation.owner)

    texts = [text for _, _, text in transcript_of(client.get("/biology/transcript/"))]

    assert texts == ["Is a virus alive?", "Good question."]


def test_it_is_a_print_friendly_page_without_scripts(client, conversation):
    response = client.get("/biology/transcript/")

    content = b"".join(response.streaming_content).decode()
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<script" not in content
    assert "Transcript of biology" in content
    assert "Cells" in content
    assert "2 messages." in content


def test_user_text_is_escaped(client, room, make_participant):
    mallory = make_participant(room, "<img src=x onerror=alert(1)>")
    services.message_post(room=room, author=mallory.obj, text="<script>alert(2)</script> & co")

    response = client.get("/biology/transcript/")
    content = b"".join(response.streaming_content).decode()

    assert "<img" not in content
    assert "<script>alert" not in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content
    assert "&lt;script&gt;alert(2)&lt;/script&gt; &amp; co" in content


def test_a_big_room_is_rendered_in_bounded_chunks(client, room, participant, monkeypatch):
    monkeypatch.setattr(selectors, "TRANSCRIPT_CHUNK_SIZE", 2)
    for number in range(5):
        services.message_post(room=room, author=room.owner, text=f"message {number}")

    response = client.get("/biology/transcript/")

    assert response.streaming
    chunks = list(response.streaming_content)
    # The start, three batches of at most two rows, and the end.
    assert len(chunks) == 5
    assert [chunk.decode().count('data-testid="transcript-message"') for chunk in chunks] == [0, 2, 2, 1, 0]


@pytest.mark.django_db(transaction=True)
async def test_over_asgi_the_transcript_is_streamed_not_read_whole_first(owner, monkeypatch):
    monkeypatch.setattr(selectors, "TRANSCRIPT_CHUNK_SIZE", 2)
    room = await sync_to_async(services.room_create)(owner=owner.obj, name="biology")
    for number in range(5):
        await sync_to_async(services.message_post)(room=room, author=owner.obj, text=f"message {number}")

    with warnings.catch_warnings():
        # Django warns, then reads everything into a list, when handed an iterator it can't stream.
        warnings.simplefilter("error")
        response = await AsyncClient().get("/biology/transcript/")
        # As Django's ASGI handler sends it: through the response's own __aiter__.
        chunks = [chunk async for chunk in response]

    assert [chunk.decode().count('data-testid="transcript-message"') for chunk in chunks] == [0, 2, 2, 1, 0]


def test_a_new_day_starts_with_its_date(client, room, clock):
    clock.freeze()
    services.message_post(room=room, author=room.owner, text="monday")
    clock.advance(timedelta(days=1))
    services.message_post(room=room, author=room.owner, text="tuesday")

    content = b"".join(client.get("/biology/transcript/").streaming_content).decode()

    assert content.count('class="transcript-day"') == 2


def test_a_private_rooms_transcript_is_refused_to_a_stranger(client, conversation):
    services.room_update(room=conversation, changes={"password": "open sesame"})

    response = client.get("/biology/transcript/")

    assert response.status_code == 403
    content = response.content.decode()
    assert "This room is private" in content
    assert "Is a virus alive?" not in content


def test_a_private_rooms_transcript_is_readable_by_its_participants_and_teachers(conversation, owner):
    services.room_update(room=conversation, changes={"password": "open sesame"})
    student = Client()
    answer = student.post(
        "/api/rooms/biology/join", {"nickname": "kim", "password": "open sesame"}, content_type="application/json"
    )
    assert answer.status_code == 201
    teacher = Client()
    teacher.force_login(owner.obj)

    for client in (student, teacher):
        assert [text for _, _, text in transcript_of(client.get("/biology/transcript/"))] == [
            "Is a virus alive?",
            "Good question.",
        ]


def test_a_closed_room_can_still_be_read(client, conversation, clock):
    clock.advance(timedelta(days=30))

    assert len(transcript_of(client.get("/biology/transcript/"))) == 2


def test_an_unknown_room_has_no_transcript(client, db):
    assert client.get("/nowhere/transcript/").status_code == 404


def test_times_are_in_the_teachers_time_zone_and_the_page_says_which(conversation, owner, clock):
    owner.obj.time_zone = "America/Chicago"
    owner.obj.save()
    client = Client()
    client.force_login(owner.obj)
    chicago = clock.now().astimezone(ZoneInfo("America/Chicago"))

    rows = transcript_of(client.get("/biology/transcript/"))
    content = b"".join(client.get("/biology/transcript/").streaming_content).decode()

    assert rows[-1][0] == chicago.strftime("%H:%M")
    assert "times in America/Chicago" in content


def test_a_student_reads_the_transcript_on_the_owners_clock(client, conversation, owner, clock):
    owner.obj.time_zone = "Asia/Tokyo"
    owner.obj.save()

    content = b"".join(client.get("/biology/transcript/").streaming_content).decode()

    assert "times in Asia/Tokyo" in content
    assert clock.now().astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") in content


def test_a_room_whose_teachers_never_said_is_in_utc(client, conversation):
    content = b"".join(client.get("/biology/transcript/").streaming_content).decode()

    assert "times in UTC" in content

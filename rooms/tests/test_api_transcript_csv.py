"""GET /api/rooms/<name>/transcript.csv"""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest

from rooms import services
from rooms.models import Message
from rooms.payloads import timestamp
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology/transcript.csv"
HEADER = ["seq", "time", "nickname", "participant_id", "text", "deleted", "deleted_at", "time_zone"]


def download(client, url: str = URL, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers)


def rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    table = list(csv.reader(io.StringIO(body[1:])))
    assert table[0] == HEADER
    return table[1:]


@pytest.fixture
def transcript(room, owner, participant, moderator):
    """Three messages; the second is deleted."""
    first = services.message_post(room=room, author=participant.obj, text="Is mitosis, like, on the test?")[0]
    second = services.message_post(room=room, author=participant.obj, text="this class is dumb")[0]
    third = services.message_post(room=room, author=owner.obj, text='Yes.\nChapter 4, "Cell division".')[0]
    services.message_delete(room=room, message=second, deleted_by=moderator.obj)
    return [Message.objects.get(pk=message.pk) for message in (first, second, third)]


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_download_the_transcript(api, transcript, token_of, persona, expected):
    response = download(api.client, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status_code == 200
        assert len(rows(response)) == 2
    else:
        assert error_of(api.get(URL, token=token_of(persona))) == expected


def test_the_csv_is_a_download_named_after_the_room(api, transcript, owner):
    response = download(api.client, token=owner.token)

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="biology-transcript.csv"'


def test_each_visible_message_is_a_row_in_seq_order(api, transcript, owner, participant):
    first, _, third = transcript

    assert rows(download(api.client, token=owner.token)) == [
        [
            "1",
            timestamp(first.created_at),
            "sam",
            str(participant.obj.pk),
            "Is mitosis, like, on the test?",
            "false",
            "",
            "UTC",
        ],
        ["3", timestamp(third.created_at), "owner", "", 'Yes.\nChapter 4, "Cell division".', "false", "", "UTC"],
    ]


def test_include_deleted_adds_deleted_messages_marked_as_such(api, transcript, moderator):
    second = transcript[1]

    table = rows(download(api.client, URL + "?include_deleted=1", token=moderator.token))

    assert [row[0] for row in table] == ["1", "2", "3"]
    assert table[1][4:] == ["this class is dumb", "true", timestamp(second.deleted_at), "UTC"]


def test_a_bad_include_deleted_returns_400(api, transcript, owner):
    assert error_of(api.get(URL + "?include_deleted=maybe", token=owner.token)) == (400, "invalid")


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1:A9)"])
def test_cells_a_spreadsheet_would_run_as_formulas_are_made_plain_text(api, room, owner, make_participant, text):
    author = make_participant(room, "=cmd|'/c calc'!A1")
    services.message_post(room=room, author=author.obj, text=text)

    [row] = rows(download(api.client, token=owner.token))

    assert row[2] == "'=cmd|'/c calc'!A1"
    assert row[4] == "'" + text


def test_text_that_merely_contains_a_formula_sign_is_left_alone(api, room, owner, participant):
    services.message_post(room=room, author=participant.obj, text="2+2=4, said @sam")

    [row] = rows(download(api.client, token=owner.token))

    assert row[4] == "2+2=4, said @sam"


def test_an_empty_room_has_just_the_header(api, room, owner):
    assert rows(download(api.client, token=owner.token)) == []


def test_a_private_room_is_downloaded_by_its_teachers(api, transcript, owner):
    api.patch("/api/rooms/biology", {"password": "mitosis"}, token=owner.token)

    assert len(rows(download(api.client, token=owner.token))) == 2


def test_an_unknown_room_gets_404(api, room, owner):
    assert error_of(api.get("/api/rooms/chemistry/transcript.csv", token=owner.token)) == (404, "room_not_found")


def test_times_are_in_the_teachers_time_zone_which_each_row_names(api, transcript, owner):
    owner.obj.time_zone = "Asia/Kolkata"
    owner.obj.save()
    first = transcript[0]

    [row, _] = rows(download(api.client, token=owner.token))

    assert row[1] == first.created_at.astimezone(ZoneInfo("Asia/Kolkata")).isoformat(timespec="milliseconds")
    assert row[1].endswith("+05:30")
    assert row[-1] == "Asia/Kolkata"

"""Transcript exports of a large room stream in bounded memory, over WSGI and ASGI alike."""

from __future__ import annotations

import csv
import tracemalloc
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient

from rooms import services
from rooms.exports import spreadsheet_safe
from rooms.models import Message, Role

MESSAGE_COUNT = 20_000
# Long enough that the whole transcript is megabytes, as a real year-long room's would be.
TEXT = "Mitochondria are the powerhouse of the cell, and ribosomes build proteins from amino acids. " * 2


def insert_messages(room, participant) -> None:
    """MESSAGE_COUNT messages written straight to the table: posting each would take minutes."""
    start = room.created_at
    Message.objects.bulk_create(
        (
            Message(
                room=room,
                seq=seq,
                participant=participant,
                author_key=f"p{participant.pk}",
                author_role=Role.PARTICIPANT,
                nickname="sam",
                color=participant.color,
                text=f"{seq:05d} {TEXT}",
                created_at=start + timedelta(seconds=seq),
            )
            for seq in range(1, MESSAGE_COUNT + 1)
        ),
        batch_size=2000,
    )


class TranscriptCheck:
    """Checks a CSV download piece by piece as it arrives, never holding all of it."""

    def __init__(self) -> None:
        self.pending = ""
        self.rows = 0
        self.pieces = 0
        self.size = 0

    def feed(self, piece: bytes) -> None:
        self.pieces += 1
        self.size += len(piece)
        lines = (self.pending + piece.decode("utf-8")).split("\r\n")
        self.pending = lines.pop()
        for row in csv.reader(lines):
            if self.rows == 0 and row[0] == "\ufeffseq":
                assert row == [
                    "\ufeffseq",
                    "time",
                    "nickname",
                    "participant_id",
                    "text",
                    "deleted",
                    "deleted_at",
                    "time_zone",
                ]
                continue
            self.rows += 1
            assert int(row[0]) == self.rows
            assert row[4] == f"{self.rows:05d} {TEXT}"

    def finish(self) -> None:
        assert self.pending == ""
        assert self.rows == MESSAGE_COUNT
        assert self.size > 4_000_000
        assert self.pieces > 50, "the download came in one piece"


def peak_bytes_while(consume) -> int:
    tracemalloc.start()
    try:
        consume()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bytes_to_load_every_row(room) -> int:
    """What a naive export would hold: every message of the room at once (about 24 MB here)."""
    return peak_bytes_while(lambda: list(Message.objects.filter(room=room)))


def download(api, owner, url: str):
    return api.client.get(url, headers={"Authorization": f"Bearer {owner.token}"})


@pytest.fixture
def large_room(room, participant):
    insert_messages(room, participant.obj)
    return room


def test_a_large_csv_export_streams_every_row_in_bounded_memory(api, large_room, owner):
    check = TranscriptCheck()

    def consume():
        for piece in download(api, owner, "/api/rooms/biology/transcript.csv").streaming_content:
            check.feed(piece)

    peak = peak_bytes_while(consume)

    check.finish()
    # Measured: about 2 MB, most of it one chunk of rows from the database.
    assert peak < bytes_to_load_every_row(large_room) / 5
    assert peak < check.size


def test_a_large_json_export_streams_in_bounded_memory(api, large_room, owner):
    sizes = []

    def consume():
        for piece in download(api, owner, "/api/rooms/biology/transcript.json").streaming_content:
            sizes.append(len(piece))

    peak = peak_bytes_while(consume)

    assert len(sizes) > 50
    assert peak < bytes_to_load_every_row(large_room) / 5
    assert peak < sum(sizes)


@pytest.fixture
async def worker_connections_closed():
    yield
    # The view ran in a worker thread whose connection would outlive the test database.
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_over_asgi_the_export_streams_in_bounded_memory_too(owner, make_participant, worker_connections_closed):
    # Daphne serves through Django's ASGI handler, which reads a plain
    # iterator into a list before sending any of it; this is that path.
    room = await sync_to_async(services.room_create)(owner=owner.obj, name="biology")
    sam = await sync_to_async(make_participant)(room, "sam")
    await sync_to_async(insert_messages)(room, sam.obj)
    check = TranscriptCheck()

    tracemalloc.start()
    try:
        response = await AsyncClient().get(
            "/api/rooms/biology/transcript.csv", headers={"Authorization": f"Bearer {owner.token}"}
        )
        # As Django's ASGI handler sends it: through the response's own __aiter__.
        async for piece in response:
            check.feed(piece)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    check.finish()
    assert peak < await sync_to_async(bytes_to_load_every_row)(room) / 5


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tTAB", "'\tTAB"),
        ("1+1=2", "1+1=2"),
        ("", ""),
        ("'quoted", "'quoted"),
    ],
)
def test_spreadsheet_safe_defuses_only_a_leading_formula_sign(value, safe):
    assert spreadsheet_safe(value) == safe

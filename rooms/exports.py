"""Transcript downloads, streamed so that a room of any size needs one chunk's worth of memory."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Generator, Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse

from accounts.models import Teacher
from rooms.models import Message, Room
from rooms.payloads import TRANSCRIPT_COLUMNS, UTC_ZONE, transcript_row

# A spreadsheet runs a cell that starts with one of these as a formula
# (OWASP "CSV injection"); a leading apostrophe makes it plain text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Rows are gathered into pieces about this big: one write per row would make
# a 100,000-message download 100,000 trips through the server.
PIECE_CHARS = 64 * 1024
# Excel reads a CSV as UTF-8 only when it starts with a byte-order mark.
UTF8_BOM = "\ufeff"


def spreadsheet_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def _csv_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if column in {"nickname", "text"}:
        return spreadsheet_safe(value)
    return str(value)


def transcript_zone(*, room: Room, teacher: Teacher | None) -> ZoneInfo:
    """The zone a transcript's times are in: its reader's, if a teacher of the room, else the owner's; else UTC.

    Each teacher's browser tells their account its zone (moderator.js); a
    student reading the transcript page sees the owner's clock, as the class does.
    """
    for person in (teacher, room.owner):
        if person is not None and person.time_zone:
            try:
                return ZoneInfo(person.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                # Stored while the server's tz database had it; no longer.
                continue
    return UTC_ZONE


def transcript_csv(messages: Iterable[Message], zone: ZoneInfo = UTC_ZONE) -> Generator[str, None, None]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(UTF8_BOM)
    writer.writerow(TRANSCRIPT_COLUMNS)
    for message in messages:
        row = transcript_row(message, zone)
        writer.writerow([_csv_cell(column, row[column]) for column in TRANSCRIPT_COLUMNS])
        if buffer.tell() >= PIECE_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def transcript_json(
    room_name: str, messages: Iterable[Message], zone: ZoneInfo = UTC_ZONE
) -> Generator[str, None, None]:
    """{"room": name, "time_zone": zone, "messages": [...]}, written one message at a time."""
    pieces = ['{"room":', json.dumps(room_name), ',"time_zone":', json.dumps(zone.key), ',"messages":[']
    size = 0
    separator = ""
    for message in messages:
        text = separator + json.dumps(transcript_row(message, zone), ensure_ascii=False)
        separator = ","
        pieces.append(text)
        size += len(text)
        if size >= PIECE_CHARS:
            yield "".join(pieces)
            pieces, size = [], 0
    pieces.append("]}")
    yield "".join(pieces)


async def served_asynchronously(pieces: Generator[str, None, None]) -> AsyncIterator[str]:
    # Each step runs in the request's own thread (thread-sensitive), where the
    # database connection and its open cursor live.
    next_piece = sync_to_async(next)
    try:
        while (piece := await next_piece(pieces, None)) is not None:
            yield piece
    finally:
        await sync_to_async(pieces.close)()


def streamed(request: HttpRequest, pieces: Generator[str, None, None], *, content_type: str) -> StreamingHttpResponse:
    # Django serves a sync iterator over ASGI (Daphne) by first reading it all
    # into a list, and an async one over WSGI the same way; hand each server
    # the kind it can stream.
    content = served_asynchronously(pieces) if isinstance(request, ASGIRequest) else pieces
    return StreamingHttpResponse(content, content_type=content_type)


def download(
    request: HttpRequest, pieces: Generator[str, None, None], *, filename: str, content_type: str
) -> StreamingHttpResponse:
    response = streamed(request, pieces, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

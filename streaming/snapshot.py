"""What a socket is sent when it connects: hello, then a replay or a reset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from rooms.access import ANONYMOUS, Actor, RoomAccess
from rooms.payloads import PUBLIC_VIEWER, Viewer, room_payload
from rooms.selectors import events_since, rooms_named
from streaming.audiences import EventTexts, event_text, event_texts
from todaysmeet.metrics import STREAM_REPLAYS


@dataclass(frozen=True)
class StreamStart:
    room_id: int
    head: int
    frames: list[str]
    # False for a private room the reader may not read: send nothing, close.
    allowed: bool = True
    # Who reads the socket, which decides its text of each event from now on.
    viewer: Viewer = PUBLIC_VIEWER


def room_id_for_name(name: str) -> int | None:
    return rooms_named(name).values_list("pk", flat=True).first()


@dataclass(frozen=True)
class StartRequest:
    """One socket's part of a start: where it resumes, its Host, and who opened it."""

    since: int | None
    base_url: str
    reader: Callable[[], Actor] = lambda: ANONYMOUS


def stream_starts(*, room_id: int, name: str, requests: list[StartRequest]) -> list[StreamStart] | None:
    """What each socket of one room is sent first, from one read of the room.

    None if room `name` no longer has that id. A request's `reader` costs no
    query for a socket without a session or token (a browser that never
    joined, a program); a session's participant is known from the session.
    """
    # Matched on both: SQLite may give a deleted room's id to a new room.
    room = rooms_named(name).filter(pk=room_id).first()
    if room is None:
        return None
    head = room.seq
    limit = settings.STREAM_REPLAY_LIMIT
    # One replay read for every socket that resumes: each takes its tail of it.
    resumes = [request.since for request in requests if request.since is not None and 0 < head - request.since <= limit]
    replay: list[EventTexts] = []
    if resumes:
        events, _ = events_since(room_id=room_id, since=min(resumes), until=head, limit=limit)
        replay = [event_texts(event) for event in events]
    hellos: dict[str, str] = {}
    starts = []
    for request in requests:
        access = RoomAccess(room=room, actor=request.reader())
        # Checked after the socket subscribed: a password set before this read is
        # seen here, and one set after it closes the socket when its close arrives.
        if not access.readable:
            starts.append(StreamStart(room_id=room_id, head=head, frames=[], allowed=False))
            continue
        viewer = access.viewer
        if request.base_url not in hellos:
            hellos[request.base_url] = event_text(
                {"type": "hello", "room": room_payload(room, base_url=request.base_url), "seq": head}
            )
        frames = [hellos[request.base_url]]
        since = request.since
        if since is not None and since != head:
            if since > head or head - since > limit:
                STREAM_REPLAYS.labels("reset").inc()
                frames.append(event_text({"type": "reset", "seq": head}))
            else:
                STREAM_REPLAYS.labels("replay").inc()
                frames.extend(texts.text_for(viewer) for texts in replay if texts.seq > since)
        starts.append(StreamStart(room_id=room_id, head=head, frames=frames, viewer=viewer))
    return starts

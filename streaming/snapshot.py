"""What a socket is sent when it connects: hello, then a replay or a reset."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings

from rooms.access import ANONYMOUS, Actor, room_is_readable_by
from rooms.models import Room
from rooms.payloads import event_payload, room_payload
from rooms.selectors import events_since
from streaming.publish import event_text


@dataclass(frozen=True)
class StreamStart:
    head: int
    frames: list[str]
    # False for a private room the reader may not read: send nothing, close.
    allowed: bool = True


def room_id_for_name(name: str) -> int | None:
    return Room.objects.filter(name=name.lower()).values_list("pk", flat=True).first()


# name → id of rooms this process has streamed, so a connect storm reads the
# database once per socket (stream_start) instead of twice. A room keeps its
# id; a name can be taken again only after its room is deleted, which
# stream_start notices (it matches id and name) and the caller then forgets.
ROOM_ID_CACHE_LIMIT = 10_000
_room_ids: dict[str, int] = {}
# Lookups in progress, per event loop: the forty sockets of a class arrive
# together, and one query answers them all.
_lookups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Future]] = weakref.WeakKeyDictionary()


async def aroom_id_for_name(name: str) -> tuple[int | None, bool]:
    """(room id or None, whether it came from the cache)."""
    key = name.lower()
    room_id = _room_ids.get(key)
    if room_id is not None:
        return room_id, True
    loop = asyncio.get_running_loop()
    in_progress = _lookups.setdefault(loop, {})
    lookup = in_progress.get(key)
    if lookup is not None:
        try:
            return await asyncio.shield(lookup), False
        except asyncio.CancelledError:
            if not lookup.cancelled():
                raise
            # The socket that was looking it up went away; look it up here.
    lookup = in_progress[key] = loop.create_future()
    try:
        room_id = await database_sync_to_async(room_id_for_name)(key)
    except BaseException:
        lookup.cancel()
        raise
    finally:
        if in_progress.get(key) is lookup:
            del in_progress[key]
    lookup.set_result(room_id)
    if room_id is not None:
        if len(_room_ids) >= ROOM_ID_CACHE_LIMIT:
            _room_ids.clear()
        _room_ids[key] = room_id
    return room_id, False


def forget_room_id(name: str) -> None:
    _room_ids.pop(name.lower(), None)


def stream_start(
    *,
    room_id: int,
    name: str,
    since: int | None,
    base_url: str,
    reader: Callable[[], Actor] = lambda: ANONYMOUS,
) -> StreamStart | None:
    """None if room `name` no longer has that id. `reader` (who opened the socket) is asked only for a private room."""
    # Matched on both: SQLite may give a deleted room's id to a new room.
    room = Room.objects.filter(pk=room_id, name=name.lower()).first()
    if room is None:
        return None
    # Checked after the socket subscribed: a password set before this read is
    # seen here, and one set after it closes the socket when its close arrives.
    if room.is_private and not room_is_readable_by(actor=reader(), room=room):
        return StreamStart(head=room.seq, frames=[], allowed=False)
    head = room.seq
    frames = [event_text({"type": "hello", "room": room_payload(room, base_url=base_url), "seq": head})]
    if since is None or since == head:
        return StreamStart(head=head, frames=frames)
    if since > head or head - since > settings.STREAM_REPLAY_LIMIT:
        frames.append(event_text({"type": "reset", "seq": head}))
        return StreamStart(head=head, frames=frames)
    events, _ = events_since(room_id=room_id, since=since, until=head, limit=settings.STREAM_REPLAY_LIMIT)
    frames.extend(event_text(event_payload(event)) for event in events)
    return StreamStart(head=head, frames=frames)

"""A socket's start: subscribe it to its room's live events, then read what it is sent first.

Subscribed first and read second, so whatever commits in between arrives
live and is de-duplicated by seq: the seam between the replay and the live
stream has no gap.

Sockets arrive in storms: a school at 9 a.m., everyone at once after a
restart. A socket needs two database reads to start: its room's id (by
name), then the room's state (streaming/snapshot.py). In a storm, hundreds
of them queue for the same few database threads, and most ask the same
questions. So:

- room ids are remembered per process, and a lookup in progress is shared by
  every socket of that room that asks meanwhile;
- the sockets of one room that subscribed while its state was being read
  share the next read (`_start_together`), as a database's group commit
  does. A read is only ever shared by sockets that subscribed before it
  began, so each still reads state after subscribing.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field

from channels.db import database_sync_to_async

from rooms.validation import room_name_key
from streaming.hub import Subscriber, room_hub
from streaming.snapshot import StartRequest, StreamStart, room_id_for_name, stream_starts
from todaysmeet.sync_threads import spawn_detached

logger = logging.getLogger(__name__)

# name → id of rooms this process has streamed. A room keeps its id; a name
# can be taken again only after its room is deleted, which stream_starts
# notices (it matches id and name), and socket_start then forgets it.
ROOM_ID_CACHE_LIMIT = 10_000
_room_ids: dict[str, int] = {}


@dataclass
class _Arrivals:
    """One event loop's lookups and reads in progress."""

    lookups: dict[str, asyncio.Future] = field(default_factory=dict)
    waiting: dict[tuple[int, str], list[tuple[StartRequest, asyncio.Future]]] = field(default_factory=dict)
    reading: set[tuple[int, str]] = field(default_factory=set)


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Arrivals] = weakref.WeakKeyDictionary()


def _arrivals() -> _Arrivals:
    loop = asyncio.get_running_loop()
    arrivals = _by_loop.get(loop)
    if arrivals is None:
        arrivals = _by_loop[loop] = _Arrivals()
    return arrivals


async def socket_start(subscriber: Subscriber, *, name: str, request: StartRequest) -> StreamStart | None:
    """Subscribe `subscriber` to room `name`'s live events, then read what it is sent first.

    None, and not subscribed, if there is no such room.
    """
    hub = room_hub()
    while True:
        room_id, cached = await _room_id_for(name)
        if room_id is None:
            return None
        await hub.subscribe(room_id, subscriber)
        try:
            start = await _start_together(room_id=room_id, name=name, request=request)
        except Exception:
            # A consumer whose connect raised never runs disconnect().
            await hub.unsubscribe(room_id, subscriber)
            raise
        if start is not None:
            return start
        await hub.unsubscribe(room_id, subscriber)
        _forget_room_id(name)
        if not cached:
            return None
        # The cached id was of a deleted room whose name has been taken
        # again; the lookup just forgotten goes to the database this time.


async def _room_id_for(name: str) -> tuple[int | None, bool]:
    """(room id or None, whether it came from the cache)."""
    key = room_name_key(name)
    room_id = _room_ids.get(key)
    if room_id is not None:
        return room_id, True
    lookups = _arrivals().lookups
    lookup = lookups.get(key)
    if lookup is not None:
        try:
            return await asyncio.shield(lookup), False
        except asyncio.CancelledError:
            if not lookup.cancelled():
                raise
            # The socket that was looking it up went away; look it up here.
    lookup = lookups[key] = asyncio.get_running_loop().create_future()
    try:
        room_id = await database_sync_to_async(room_id_for_name)(key)
    except BaseException:
        lookup.cancel()
        raise
    finally:
        if lookups.get(key) is lookup:
            del lookups[key]
    lookup.set_result(room_id)
    if room_id is not None:
        if len(_room_ids) >= ROOM_ID_CACHE_LIMIT:
            _room_ids.clear()
        _room_ids[key] = room_id
    return room_id, False


def _forget_room_id(name: str) -> None:
    _room_ids.pop(room_name_key(name), None)


async def _start_together(*, room_id: int, name: str, request: StartRequest) -> StreamStart | None:
    """This socket's first frames, read after it subscribed, with its room's other arrivals.

    None if room `name` no longer has that id.
    """
    arrivals = _arrivals()
    key = (room_id, room_name_key(name))
    answer = asyncio.get_running_loop().create_future()
    arrivals.waiting.setdefault(key, []).append((request, answer))
    if key not in arrivals.reading:
        arrivals.reading.add(key)
        spawn_detached(_read_while_waiting(arrivals, key))
    return await answer


async def _read_while_waiting(arrivals: _Arrivals, key: tuple[int, str]) -> None:
    room_id, name = key
    batch: list[tuple[StartRequest, asyncio.Future]] = []
    try:
        while key in arrivals.waiting:
            batch = [(request, answer) for request, answer in arrivals.waiting.pop(key) if not answer.done()]
            if not batch:
                continue
            try:
                starts = await database_sync_to_async(stream_starts)(
                    room_id=room_id, name=name, requests=[request for request, _ in batch]
                )
            except Exception as error:
                for _, answer in batch:
                    if not answer.done():
                        answer.set_exception(error)
                continue
            for index, (_, answer) in enumerate(batch):
                if not answer.done():
                    answer.set_result(None if starts is None else starts[index])
    finally:
        arrivals.reading.discard(key)
        # Cancelled (the loop is closing) with sockets still waiting: don't leave them hanging.
        for _, answer in batch + arrivals.waiting.pop(key, []):
            if not answer.done():
                answer.cancel()

"""When vote counts go out: a few message.votes events a second per room, never a frame per vote.

A vote changes a count and records no event (rooms.services.message_vote).
After it commits, its process makes sure a flush follows: it runs at most
one flusher per room, which flushes (rooms.services.votes_flush), waits out
the interval the flush asks for, and flushes again while votes keep coming.
Whether a flush may record an event yet is decided under the room's row
lock against the room's `votes_event_at`, so a room gets at most one votes
event per VOTES_EVENT_INTERVAL however many processes take its votes; a
flush that finds every count announced (by another process) records nothing.

Flushers run on the event loop the process serves on (noted by
ServingLoop). Where there is none (a management command, a test's Django
client), nothing is scheduled: the next flush anywhere announces the count.
A process that stops with a flusher waiting leaves its counts to the next.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from channels.db import database_sync_to_async
from django.db import transaction

from todaysmeet.sync_threads import spawn_detached

logger = logging.getLogger(__name__)

# After a failed flush (the database unreachable), try again this much later.
FLUSH_RETRY_SECONDS = 1.0

Flush = Callable[..., float | None]

_lock = threading.Lock()
_serving_loop: asyncio.AbstractEventLoop | None = None
# Room id → whether votes were stored since its flusher last flushed; a room
# is here while its flusher runs.
_flushing: dict[int, bool] = {}


class ServingLoop:
    """ASGI middleware that notes the event loop the application is served on, for the flushers and publishes."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send) -> None:
        serving_loop_note(asyncio.get_running_loop())
        await self.application(scope, receive, send)


def serving_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop this process serves on, while it runs; None outside a server (a command, a test client)."""
    loop = _serving_loop
    return loop if loop is not None and loop.is_running() else None


def serving_loop_note(loop: asyncio.AbstractEventLoop) -> None:
    global _serving_loop
    if loop is _serving_loop:
        return
    with _lock:
        # Flushers of a loop that is gone went with it.
        _serving_loop = loop
        _flushing.clear()


def votes_flush_on_commit(room_id: int, flush: Flush) -> None:
    """Once the vote being stored commits, see that `flush(room_id=…)` announces it."""
    transaction.on_commit(lambda: _votes_changed(room_id, flush))


def _votes_changed(room_id: int, flush: Flush) -> None:
    # In the voter's thread, after the commit: a hop to the loop only when
    # no flusher runs for the room yet, not once per vote.
    with _lock:
        if room_id in _flushing:
            _flushing[room_id] = True
            return
        loop = _serving_loop
        if loop is None or loop.is_closed():
            return
        _flushing[room_id] = False
    try:
        loop.call_soon_threadsafe(_flusher_start, room_id, flush)
    except RuntimeError:
        # The loop closed meanwhile.
        with _lock:
            _flushing.pop(room_id, None)


def _flusher_start(room_id: int, flush: Flush) -> None:
    spawn_detached(_flusher(room_id, flush))


async def _flusher(room_id: int, flush: Flush) -> None:
    wait: float | None = 0.0
    try:
        while True:
            if wait:
                await asyncio.sleep(wait)
            try:
                wait = await database_sync_to_async(flush)(room_id=room_id)
            except Exception:
                logger.exception("could not flush the vote counts of room %s", room_id)
                wait = FLUSH_RETRY_SECONDS
            if wait is not None:
                continue
            with _lock:
                if not _flushing.get(room_id):
                    # Checked and forgotten under the lock: a vote stored after
                    # this starts a flusher of its own.
                    _flushing.pop(room_id, None)
                    return
                # Votes came in while this one flushed; the next flush waits
                # out the interval on its own (it answers how long).
                _flushing[room_id] = False
    except asyncio.CancelledError:
        with _lock:
            _flushing.pop(room_id, None)
        raise

"""Hand committed room events to the channel layer.

An event is serialised where it is stored, once per audience that sees it
differently (streaming/audiences.py), and travels as text: every process
and every socket of an audience forwards the same bytes.

In a server, a committed event is sent from the event loop: the request that
stored it answers without waiting for Redis. The loop sends one room's
events in the order they committed in this process, and rooms side by side.
Elsewhere (a management command, a test's client) the send is made, and
waited for, where the event was stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import Any, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from streaming.audiences import EventTexts
from streaming.vote_flush import serving_loop
from todaysmeet.metrics import CHANNEL_LAYER_ERRORS
from todaysmeet.sync_threads import spawn_detached

logger = logging.getLogger(__name__)

# A Redis that accepts connections but never answers would otherwise hold the
# poster's request for two socket timeouts; the event is stored either way.
PUBLISH_TIMEOUT_SECONDS = 2.0
# Sends waiting for the loop beyond this (Redis down under load) are dropped,
# oldest first: listeners repair what they miss from the database.
PUBLISH_QUEUE_LIMIT = 10000


async def _group_send(group: str, message: dict[str, Any]) -> None:
    await asyncio.wait_for(get_channel_layer().group_send(group, message), timeout=PUBLISH_TIMEOUT_SECONDS)


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def room_event_publish_on_commit(room_id: int, texts: EventTexts) -> None:
    # If the layer is down, listeners repair the gap from the database.
    message = texts.layer_message(room_id)

    def send_committed() -> None:
        # Wall-clock, as other processes read it: the hub times fan-out from here.
        message["committed_at"] = time.time()
        _room_send(room_id, message, what=f"event {texts.seq}")

    transaction.on_commit(send_committed)


class SocketSelector(TypedDict, total=False):
    """Which of a room's sockets a close is for; every socket when there is none.

    Exactly one of `teacher`, `participant` and `session`: a teacher's sockets
    (by token or signed-in session), a participant's (by token, browser key
    or the session that joined), or one browser session's.
    streaming/identity.py matches a socket against it.
    """

    teacher: int
    participant: int
    # The participant's, so most sockets match without reading their session.
    browser_key_hash: str
    token_hash: str
    session: str


def participant_sockets(participant: Any) -> SocketSelector:
    return {
        "participant": participant.pk,
        "browser_key_hash": participant.browser_key_hash,
        "token_hash": participant.token_hash,
    }


def teacher_sockets(teacher_id: int) -> SocketSelector:
    return {"teacher": teacher_id}


def session_sockets(session_key: str) -> SocketSelector:
    return {"session": session_key}


def room_sockets_close_on_commit(
    room_id: int, code: int, *, keep_moderators: bool = False, only: SocketSelector | None = None
) -> None:
    rooms_sockets_close_on_commit([room_id], code, keep_moderators=keep_moderators, only=only)


def rooms_sockets_close_on_commit(
    room_ids: Iterable[int], code: int, *, keep_moderators: bool = False, only: SocketSelector | None = None
) -> None:
    """Close the sockets of these rooms, or those of them `only` selects, once the transaction commits.

    All in one trip to the layer, however many rooms: a teacher signing out of
    a year of rooms waits for one round of sends, not one per room.
    """
    # Not an event, so no seq: a close lost with the layer is not repaired,
    # and the socket then lives until it reconnects and is checked again.
    sends = [
        (
            room_id,
            {"type": "room.close", "room": room_id, "code": code, "keep_moderators": keep_moderators, "only": only},
        )
        for room_id in room_ids
    ]
    if sends:
        transaction.on_commit(lambda: _rooms_send(sends, what=f"close {code}"))


def _room_send(room_id: int, message: dict[str, Any], *, what: str) -> None:
    _rooms_send([(room_id, message)], what=what)


def _rooms_send(sends: list[tuple[int, dict[str, Any]]], *, what: str) -> None:
    # Runs after the commit: the write it follows is stored, so a failed send
    # is logged and must not fail the request. In a server the request does
    # not wait for it either: the sends are handed to the event loop, and the
    # answer goes out while they are made.
    loop = serving_loop()
    if loop is not None:
        try:
            loop.call_soon_threadsafe(_queue_on_loop, sends, what)
            return
        except RuntimeError:
            pass  # The loop closed meanwhile: send from here.

    async def send_all() -> list[BaseException | None]:
        return await asyncio.gather(
            *(_group_send(room_group(room_id), message) for room_id, message in sends), return_exceptions=True
        )

    try:
        outcomes = async_to_sync(send_all)()
    except Exception as error:
        outcomes = [error] * len(sends)
    for (room_id, _), outcome in zip(sends, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            _send_failed(room_id, what, outcome)


def _send_failed(room_id: int, what: str, error: BaseException) -> None:
    CHANNEL_LAYER_ERRORS.labels("publish").inc()
    logger.warning("could not send %s to room %s", what, room_id, exc_info=error)


# Sends handed to the event loop and not yet made, in the order their
# transactions committed here; touched on the loop only.
_queued: deque[tuple[int, dict[str, Any], str]] = deque()
_sender: asyncio.Task | None = None


def _queue_on_loop(sends: list[tuple[int, dict[str, Any]]], what: str) -> None:
    global _sender
    _queued.extend((room_id, message, what) for room_id, message in sends)
    while len(_queued) > PUBLISH_QUEUE_LIMIT:
        room_id, _, what = _queued.popleft()
        _send_failed(room_id, what, RuntimeError("too many sends waiting for the channel layer"))
    if _sender is None or _sender.done():
        # Outlives the request that queued it.
        _sender = spawn_detached(_send_queued())


async def queued_sends_made() -> None:
    """Until every send handed to this loop so far has been made (or failed): before a process stops."""
    while _sender is not None and not _sender.done():
        await asyncio.shield(_sender)


async def _send_queued() -> None:
    while _queued:
        by_room: dict[int, list[tuple[dict[str, Any], str]]] = {}
        while _queued:
            room_id, message, what = _queued.popleft()
            by_room.setdefault(room_id, []).append((message, what))
        # Rooms at once, each room's events one after another: a room's
        # listeners then get them in the order they were stored here.
        await asyncio.gather(*(_send_in_order(room_id, sends) for room_id, sends in by_room.items()))


async def _send_in_order(room_id: int, sends: list[tuple[dict[str, Any], str]]) -> None:
    for message, what in sends:
        try:
            await _group_send(room_group(room_id), message)
        except Exception as error:
            _send_failed(room_id, what, error)

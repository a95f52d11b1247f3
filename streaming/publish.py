"""Hand committed room events to the channel layer.

An event is serialised where it is stored, once per audience that sees it
differently (streaming/audiences.py), and travels as text: every process
and every socket of an audience forwards the same bytes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from streaming.audiences import EventTexts
from todaysmeet.metrics import CHANNEL_LAYER_ERRORS

logger = logging.getLogger(__name__)

# A Redis that accepts connections but never answers would otherwise hold the
# poster's request for two socket timeouts; the event is stored either way.
PUBLISH_TIMEOUT_SECONDS = 2.0


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
    # is logged and must not fail the request.
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
            CHANNEL_LAYER_ERRORS.labels("publish").inc()
            logger.warning("could not send %s to room %s", what, room_id, exc_info=outcome)

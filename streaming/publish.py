"""Hand committed room events to the channel layer.

An event is serialised where it is stored, once per audience that sees it
differently (streaming/audiences.py), and travels as text: every process
and every socket of an audience forwards the same bytes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

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


def room_sockets_close_on_commit(room_id: int, code: int, *, keep_moderators: bool = False) -> None:
    # Not an event, so no seq: a close lost with the layer is not repaired,
    # and the socket then lives until it reconnects and is checked again.
    message = {"type": "room.close", "room": room_id, "code": code, "keep_moderators": keep_moderators}
    transaction.on_commit(lambda: _room_send(room_id, message, what=f"close {code}"))


def _room_send(room_id: int, message: dict[str, Any], *, what: str) -> None:
    # Runs after the commit: the write it follows is stored, so a failed send
    # is logged and must not fail the request.
    try:
        async_to_sync(_group_send)(room_group(room_id), message)
    except Exception:
        CHANNEL_LAYER_ERRORS.labels("publish").inc()
        logger.warning("could not send %s to room %s", what, room_id, exc_info=True)

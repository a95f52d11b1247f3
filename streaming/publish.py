"""Hand committed room events to the channel layer.

An event is serialised once, here, and travels as text: every process and
every socket forwards the same bytes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# A Redis that accepts connections but never answers would otherwise hold the
# poster's request for two socket timeouts; the event is stored either way.
PUBLISH_TIMEOUT_SECONDS = 2.0


async def _group_send(group: str, message: dict[str, Any]) -> None:
    await asyncio.wait_for(get_channel_layer().group_send(group, message), timeout=PUBLISH_TIMEOUT_SECONDS)


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def event_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def room_event_publish_on_commit(room_id: int, payload: Any) -> None:
    text = event_text(payload)
    seq = payload["seq"]
    transaction.on_commit(lambda: room_event_send(room_id, seq, text))


def room_event_send(room_id: int, seq: int, text: str) -> None:
    # The event is already stored; if the layer is down, listeners repair the
    # gap from the database, so a failed send must not fail the request.
    try:
        async_to_sync(_group_send)(
            room_group(room_id), {"type": "room.event", "room": room_id, "seq": seq, "text": text}
        )
    except Exception:
        logger.warning("could not publish event %s of room %s", seq, room_id, exc_info=True)


def room_sockets_close_on_commit(room_id: int, code: int, *, keep_moderators: bool = False) -> None:
    transaction.on_commit(lambda: room_sockets_close(room_id, code, keep_moderators=keep_moderators))


def room_sockets_close(room_id: int, code: int, *, keep_moderators: bool = False) -> None:
    # Like an event, a close is lost if the layer is down, and unlike one it is
    # not repaired: the socket then lives until it reconnects and is checked again.
    try:
        async_to_sync(_group_send)(
            room_group(room_id),
            {"type": "room.close", "room": room_id, "code": code, "keep_moderators": keep_moderators},
        )
    except Exception:
        logger.warning("could not close the sockets of room %s", room_id, exc_info=True)

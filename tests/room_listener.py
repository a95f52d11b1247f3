"""Listen to a room's channel-layer group the way a streaming process does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from streaming.publish import room_group

# Long enough for a loaded CI machine; only reached when an expected event is missing.
RECEIVE_TIMEOUT_SECONDS = 5.0


class RoomListener:
    def __init__(self, room_id: int) -> None:
        self.layer = get_channel_layer()
        self.group = room_group(room_id)
        self.channel = async_to_sync(self.layer.new_channel)(prefix="test-listener")
        async_to_sync(self.layer.group_add)(self.group, self.channel)

    def next_event(self) -> dict[str, Any]:
        """The next published event's payload, as a websocket client would receive it."""
        (envelope,) = self.received(1)
        payload = json.loads(envelope["text"])
        assert payload["seq"] == envelope["seq"]
        return payload

    def received(self, count: int) -> list[dict[str, Any]]:
        """The next `count` messages sent to the group as they are: events, and the controls that close sockets."""

        async def receive() -> list[dict[str, Any]]:
            return [
                await asyncio.wait_for(self.layer.receive(self.channel), RECEIVE_TIMEOUT_SECONDS) for _ in range(count)
            ]

        return async_to_sync(receive)()

    def close(self) -> None:
        async_to_sync(self.layer.group_discard)(self.group, self.channel)

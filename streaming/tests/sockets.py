"""Websocket clients and service calls, as the streaming tests use them."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from rooms import services
from rooms.models import Message, Room
from todaysmeet.asgi import application

# Generous: a slow CI machine must not turn a wait into a failure, and a
# passing test never waits this long.
FRAME_TIMEOUT = 10


class Listener:
    """One client of a room's websocket, recording every frame it is sent."""

    def __init__(self, path: str, *, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        # The Host the API test client uses, so room URLs in frames and in API
        # responses come out the same.
        self.communicator = WebsocketCommunicator(application, path, headers=headers or [(b"host", b"testserver")])
        self.frames: list[dict[str, Any]] = []
        self.texts: list[str] = []

    async def open(self) -> Listener:
        connected, _ = await self.communicator.connect(timeout=FRAME_TIMEOUT)
        assert connected, "the handshake was refused"
        return self

    async def next_frame(self) -> dict[str, Any]:
        text = await self.communicator.receive_from(timeout=FRAME_TIMEOUT)
        frame = json.loads(text)
        self.texts.append(text)
        self.frames.append(frame)
        return frame

    async def frames_through(self, seq: int) -> list[dict[str, Any]]:
        """Frames received from now until one that brings the stream to `seq`."""
        received = []
        while True:
            frame = await self.next_frame()
            received.append(frame)
            if frame["type"] != "hello" and frame["seq"] >= seq:
                return received

    async def close_code(self) -> int:
        output = await self.communicator.receive_output(timeout=FRAME_TIMEOUT)
        assert output["type"] == "websocket.close", output
        return output.get("code", 1000)

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def close(self) -> None:
        await self.communicator.disconnect(timeout=FRAME_TIMEOUT)

    @property
    def event_seqs(self) -> list[int]:
        return [frame["seq"] for frame in self.frames if frame["type"] in {"message.created", "message.deleted"}]


def room_path(room: Room, since: int | str | None = None) -> str:
    path = f"/ws/rooms/{room.name}/"
    return path if since is None else f"{path}?since={since}"


@database_sync_to_async
def post(room: Room, author: Any, text: str) -> Message:
    message, _ = services.message_post(room=room, author=author, text=text)
    return message


@database_sync_to_async
def delete(room: Room, message: Message, deleted_by: Any) -> None:
    services.message_delete(room=room, message=message, deleted_by=deleted_by)

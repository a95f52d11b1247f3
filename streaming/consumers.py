"""The room websocket: authenticate, subscribe, replay, then forward live frames."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from streaming.hub import room_hub
from streaming.snapshot import StreamStart, room_id_for_name, stream_start

logger = logging.getLogger(__name__)

CLOSE_INVALID_SINCE = 4400
CLOSE_ROOM_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 1013
# Live frames held for one socket while it replays history; a socket that
# falls this far behind is closed and resumes later with `since`.
SOCKET_BACKLOG_LIMIT = 2000


def _since_from_query(query_string: bytes) -> tuple[bool, int | None]:
    """(valid, since) from the handshake's query string; since is None when absent."""
    values = parse_qs(query_string.decode("latin-1")).get("since")
    if not values:
        return True, None
    raw = values[-1]
    if not raw.isascii() or not raw.isdigit():
        return False, None
    return True, int(raw)


def _base_url(scope: dict) -> str:
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"localhost").decode("latin-1")
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return f"{scheme}://{host}"


class RoomConsumer(AsyncWebsocketConsumer):
    # Sockets receive events from the process's RoomHub, which joins the
    # channel layer once per room; no layer channel per socket.
    channel_layer_alias = None

    async def connect(self) -> None:
        self.room_id: int | None = None
        self.last_seq = 0
        self.catching_up = True
        self.backlog: list[tuple[int, str]] = []
        await self.accept()

        valid, since = _since_from_query(self.scope.get("query_string", b""))
        if not valid:
            await self.close(code=CLOSE_INVALID_SINCE)
            return
        room_id = await database_sync_to_async(room_id_for_name)(self.scope["url_route"]["kwargs"]["name"])
        if room_id is None:
            await self.close(code=CLOSE_ROOM_NOT_FOUND)
            return

        # Register for live events first and read state second: whatever
        # commits in between arrives live and is de-duplicated by seq.
        self.room_id = room_id
        await room_hub().subscribe(room_id, self)
        start: StreamStart = await database_sync_to_async(stream_start)(
            room_id=room_id, since=since, base_url=_base_url(self.scope)
        )
        for frame in start.frames:
            await self.send(text_data=frame)
        self.last_seq = start.head
        await self._drain_backlog()

    async def _drain_backlog(self) -> None:
        while self.backlog:
            pending, self.backlog = self.backlog, []
            for seq, text in pending:
                await self._send_event(seq, text)
        self.catching_up = False

    async def _send_event(self, seq: int, text: str) -> None:
        if seq <= self.last_seq:
            return
        if seq != self.last_seq + 1:
            logger.warning("socket in room %s jumps from %s to %s", self.room_id, self.last_seq, seq)
        self.last_seq = seq
        await self.send(text_data=text)

    async def deliver(self, seq: int, text: str) -> None:
        if self.catching_up:
            self.backlog.append((seq, text))
            if len(self.backlog) > SOCKET_BACKLOG_LIMIT:
                self.backlog = []
                await self.close(code=CLOSE_TOO_SLOW)
            return
        await self._send_event(seq, text)

    async def reset(self, head: int) -> None:
        self.last_seq = max(self.last_seq, head)
        await self.send(text_data=json.dumps({"type": "reset", "seq": head}))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The stream is receive-only; posting goes through the HTTP API.
        return

    async def disconnect(self, code: int) -> None:
        if self.room_id is not None:
            await room_hub().unsubscribe(self.room_id, self)
            self.room_id = None

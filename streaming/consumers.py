"""The room websocket: authenticate, subscribe, replay, then forward live frames."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from rooms.access import Actor, room_id_moderated_by, socket_actor
from streaming.arrivals import socket_start
from streaming.close_codes import (
    CLOSE_INVALID_SINCE,
    CLOSE_ROOM_NOT_FOUND,
    CLOSE_SERVICE_RESTART,
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHORIZED,
)
from streaming.hub import room_hub
from streaming.lifecycle import is_draining, socket_closed, socket_opened
from streaming.origin import socket_scheme
from streaming.snapshot import StartRequest

logger = logging.getLogger(__name__)

# As on the HTTP API: more digits than any seq could have is not a cursor
# (and int() refuses thousands of digits with a ValueError).
SINCE_DIGITS_MAX = 30
# Live frames held for one socket while it replays history; a socket that
# falls this far behind is closed and resumes later with `since`.
SOCKET_BACKLOG_LIMIT = 2000


def _since_from_query(query_string: bytes) -> tuple[bool, int | None]:
    """(valid, since) from the handshake's query string; since is None when absent."""
    # Blank values are kept: `since=` is a malformed cursor, as it is on the HTTP API.
    values = parse_qs(query_string.decode("latin-1"), keep_blank_values=True).get("since")
    if not values:
        return True, None
    raw = values[-1]
    if not raw.isascii() or not raw.isdigit() or len(raw) > SINCE_DIGITS_MAX:
        return False, None
    return True, int(raw)


def _token_from_query(query_string: bytes) -> str | None:
    """`?token=` for clients that can't send a session cookie (a browser's socket uses its cookie)."""
    values = parse_qs(query_string.decode("latin-1")).get("token")
    return values[-1] if values else None


def _base_url(scope: dict) -> str:
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"localhost").decode("latin-1")
    # Behind the proxy, the scheme the browser used, as for pages: room URLs in frames match the page's.
    return f"{socket_scheme(scope)}://{host}"


class RoomConsumer(AsyncWebsocketConsumer):
    # Sockets receive events from the process's RoomHub, which joins the
    # channel layer once per room; no layer channel per socket.
    channel_layer_alias = None

    async def dispatch(self, message: dict) -> None:
        # Channels runs close_old_connections in a thread before every handler,
        # a thread hop per connect and disconnect that queues behind HTTP
        # requests in a storm. Every ORM call here goes through
        # database_sync_to_async, which already does that on its own thread.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.room_id: int | None = None
        self.last_seq = 0
        self.catching_up = True
        self.backlog: list[tuple[int, str]] = []
        await self.accept()
        if is_draining():
            # Accepted first so the client sees 1012 and goes to another
            # process at once, rather than a refused handshake.
            await self.close(code=CLOSE_SERVICE_RESTART)
            return
        socket_opened(self)

        valid, since = _since_from_query(self.scope.get("query_string", b""))
        if not valid:
            await self.close(code=CLOSE_INVALID_SINCE)
            return
        start = await socket_start(
            self,
            name=self.scope["url_route"]["kwargs"]["name"],
            request=StartRequest(since=since, base_url=_base_url(self.scope), reader=self._reader),
        )
        if start is None:
            await self.close(code=CLOSE_ROOM_NOT_FOUND)
            return
        self.room_id = start.room_id
        if not start.allowed:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
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
        # Queued like an event, so it can't overtake hello and the replay; a
        # reset to a head the socket has already reached is dropped like a duplicate.
        await self.deliver(head, json.dumps({"type": "reset", "seq": head}))

    async def close_for_room(self, room_id: int, code: int, keep_moderators: bool) -> None:
        # The room comes from the hub: this socket may still be starting,
        # subscribed but without its room id.
        if keep_moderators and await database_sync_to_async(self._reader_moderates)(room_id):
            return
        await self.close(code=code)

    def _reader(self) -> Actor:
        """Who opened this socket. Sync: it may read the session and the teacher from the database."""
        token = _token_from_query(self.scope.get("query_string", b""))
        return socket_actor(token=token, session=self.scope.get("session") or {})

    def _reader_moderates(self, room_id: int) -> bool:
        return room_id_moderated_by(room_id=room_id, actor=self._reader())

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The stream is receive-only; posting goes through the HTTP API.
        return

    async def disconnect(self, code: int) -> None:
        socket_closed(self)
        if self.room_id is not None:
            await room_hub().unsubscribe(self.room_id, self)
            self.room_id = None

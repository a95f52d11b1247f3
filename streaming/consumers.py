"""The room websocket: authenticate, subscribe, replay, then forward live frames."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from rooms.access import Actor, room_id_moderated_by, socket_actor
from rooms.payloads import PUBLIC_VIEWER
from streaming.arrivals import socket_start
from streaming.audiences import EventTexts
from streaming.close_codes import (
    CLOSE_INVALID_SINCE,
    CLOSE_ROOM_NOT_FOUND,
    CLOSE_SERVICE_RESTART,
    CLOSE_TOO_SLOW,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHORIZED,
    KNOWN_CLOSE_CODES,
)
from streaming.hub import room_hub
from streaming.identity import socket_identity
from streaming.lifecycle import is_draining, socket_closed, socket_opened
from streaming.origin import socket_scheme
from streaming.publish import SocketSelector
from streaming.snapshot import StartRequest
from todaysmeet.errors import is_database_outage
from todaysmeet.logs import log_context_start
from todaysmeet.metrics import DATABASE_UNAVAILABLE, SLOW_CLIENT_CUTOFFS, record_websocket_close
from todaysmeet.request_log import request_id_from

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


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return None


def _actor_kind(scope: dict) -> str:
    """Who opened the socket, for logs, without asking the database: how they said who they are."""
    if b"token=" in scope.get("query_string", b""):
        return "token"
    cookies = _header(scope, b"cookie") or ""
    return "browser" if f"{settings.SESSION_COOKIE_NAME}=" in cookies else "anonymous"


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
        # The consumer runs in a task of its own: this context lasts its life.
        log_context_start(
            request_id=request_id_from(_header(self.scope, b"x-request-id")),
            room=self.scope["url_route"]["kwargs"]["name"],
            actor_kind=_actor_kind(self.scope),
        )
        self.opened_at = time.monotonic()
        logger.info("websocket open")
        # Who opened the socket, for closes meant for some sockets only.
        self.identity = socket_identity(self.scope, _token_from_query(self.scope.get("query_string", b"")))
        self.room_id: int | None = None
        # Who reads this socket (role, participant, teacher), from its start
        # on: it picks each event's text for its audience.
        self.viewer = PUBLIC_VIEWER
        self.last_seq = 0
        self.catching_up = True
        self.backlog: list[EventTexts] = []
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
        try:
            start = await socket_start(
                self,
                name=self.scope["url_route"]["kwargs"]["name"],
                request=StartRequest(since=since, base_url=_base_url(self.scope), reader=self._reader),
            )
        except DatabaseError as error:
            if not is_database_outage(error):
                raise
            DATABASE_UNAVAILABLE.inc()
            logger.warning("websocket can't start: the database is unavailable")
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        if start is None:
            await self.close(code=CLOSE_ROOM_NOT_FOUND)
            return
        self.room_id = start.room_id
        if not start.allowed:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.viewer = start.viewer
        for frame in start.frames:
            await self.send(text_data=frame)
        self.last_seq = start.head
        await self._drain_backlog()

    async def _drain_backlog(self) -> None:
        while self.backlog:
            pending, self.backlog = self.backlog, []
            for texts in pending:
                await self._send_event(texts)
        self.catching_up = False

    async def _send_event(self, texts: EventTexts) -> None:
        if texts.seq <= self.last_seq:
            return
        if texts.seq != self.last_seq + 1:
            logger.warning("socket in room %s jumps from %s to %s", self.room_id, self.last_seq, texts.seq)
        self.last_seq = texts.seq
        await self.send(text_data=texts.text_for(self.viewer))

    async def deliver(self, texts: EventTexts) -> None:
        if self.catching_up:
            self.backlog.append(texts)
            if len(self.backlog) > SOCKET_BACKLOG_LIMIT:
                SLOW_CLIENT_CUTOFFS.labels("backlog").inc()
                self.backlog = []
                await self.close(code=CLOSE_TOO_SLOW)
            return
        await self._send_event(texts)

    async def close_for_room(
        self, room_id: int, code: int, keep_moderators: bool, only: SocketSelector | None = None
    ) -> None:
        # The room comes from the hub: this socket may still be starting,
        # subscribed but without its room id.
        if only is not None and not await self.identity.is_selected(only, room_id):
            return
        if keep_moderators and await database_sync_to_async(self._reader_moderates)(room_id):
            return
        await self.close(code=code)

    def _reader(self) -> Actor:
        """Who opened this socket. Sync: it may read the session and the teacher from the database."""
        return socket_actor(token=self.identity.token, session=self.scope.get("session") or {})

    def _reader_moderates(self, room_id: int) -> bool:
        return room_id_moderated_by(room_id=room_id, actor=self._reader())

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The stream is receive-only; posting goes through the HTTP API.
        return

    async def disconnect(self, code: int) -> None:
        logger.info(
            "websocket closed with %s",
            code,
            extra={"close_code": code, "duration_ms": round((time.monotonic() - self.opened_at) * 1000)},
        )
        record_websocket_close(code, KNOWN_CLOSE_CODES)
        socket_closed(self)
        if self.room_id is not None:
            await room_hub().unsubscribe(self.room_id, self)
            self.room_id = None

"""Clients of a real server, as an external program would be: HTTP JSON and a websocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

# Long enough for a loaded CI machine; only reached when something is missing.
WAIT_TIMEOUT_SECONDS = 20
EVENT_TYPES = {"message.created", "message.deleted"}
# Tests talk to 127.0.0.1 only, whatever proxy the environment names.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class HttpApi:
    """The JSON API of one server; blocking, so call it from a thread."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with _opener.open(request, timeout=WAIT_TIMEOUT_SECONDS) as response:
                return response.status, _json_or_none(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _json_or_none(error.read())

    def post_message(self, room: str, text: str, *, token: str, attempts: int = 5) -> dict[str, Any]:
        """Post once, however often the request has to be sent.

        Every attempt carries the same client_id, so a retry after a lost
        answer returns the original message instead of a second copy.
        """
        client_id = str(uuid.uuid4())
        for _ in range(attempts):
            try:
                status, body = self.request(
                    "POST", f"/api/rooms/{room}/messages", {"text": text, "client_id": client_id}, token=token
                )
            except OSError:
                continue
            if status in (200, 201):
                return body["message"]
            if status < 500:
                raise AssertionError(f"posting {text!r} failed with {status}: {body}")
        raise AssertionError(f"posting {text!r} failed {attempts} times")


def _json_or_none(raw: bytes) -> Any:
    return json.loads(raw) if raw else None


def event_seqs(frames: Iterable[dict[str, Any]]) -> list[int]:
    return [frame["seq"] for frame in frames if frame["type"] in EVENT_TYPES]


def visible_messages(frames: Iterable[dict[str, Any]]) -> dict[int, str]:
    """The room as a client that applied `frames` would show it: message id to text."""
    visible: dict[int, str] = {}
    for frame in frames:
        if frame["type"] == "message.created" and not frame["message"].get("deleted"):
            visible[frame["message"]["id"]] = frame["message"]["text"]
        elif frame["type"] == "message.deleted":
            visible.pop(frame["message_id"], None)
    return visible


class StreamClient:
    """One websocket client of a room that keeps every frame across reconnects."""

    def __init__(self, ws_url: str, room: str, *, token: str | None = None) -> None:
        self.base = f"{ws_url}/ws/rooms/{room}/"
        self.token = token
        self.frames: list[dict[str, Any]] = []
        # Seq through which this client's view is complete; what it resumes from.
        self.position = 0
        self.connections = 0
        self._changed = asyncio.Condition()
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task | None = None

    async def connect(self, *, since: int | None = None, drop_at: int | None = None) -> StreamClient:
        """Connect; with `drop_at`, hang up as soon as the stream reaches that seq."""
        query = "&".join(
            part
            for part in (f"since={since}" if since is not None else "", f"token={self.token}" if self.token else "")
            if part
        )
        url = f"{self.base}?{query}" if query else self.base
        self._socket = await connect(url, open_timeout=WAIT_TIMEOUT_SECONDS, proxy=None)
        self.connections += 1
        self._reader = asyncio.create_task(self._read(self._socket, since=since, drop_at=drop_at))
        return self

    async def _read(self, socket: ClientConnection, *, since: int | None, drop_at: int | None) -> None:
        async for text in socket:
            frame = json.loads(text)
            async with self._changed:
                self.frames.append(frame)
                if frame["type"] != "hello" or since is None:
                    self.position = frame["seq"]
                self._changed.notify_all()
            if drop_at is not None and self.position >= drop_at:
                await socket.close()
                return

    async def wait_for_hello(self) -> None:
        """Until this connection's hello arrives: from then on no event can be missed."""
        async with asyncio.timeout(WAIT_TIMEOUT_SECONDS), self._changed:
            await self._changed.wait_for(
                lambda: sum(frame["type"] == "hello" for frame in self.frames) == self.connections
            )

    async def wait_for_position(self, seq: int) -> None:
        async with asyncio.timeout(WAIT_TIMEOUT_SECONDS), self._changed:
            await self._changed.wait_for(lambda: self.position >= seq)

    async def wait_until_closed(self) -> int | None:
        """Until the connection ends; the close code the server sent."""
        assert self._reader is not None and self._socket is not None
        async with asyncio.timeout(WAIT_TIMEOUT_SECONDS):
            with contextlib.suppress(ConnectionClosed):
                await self._reader
        return self._socket.close_code

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await self._reader

    @property
    def event_seqs(self) -> list[int]:
        return event_seqs(self.frames)

    def visible_messages(self) -> dict[int, str]:
        """The room as this client would show it: message id to text."""
        return visible_messages(self.frames)


async def connect_all(clients: Sequence[StreamClient], *, since: int | None = None) -> None:
    """Connect every client, then wait for every hello: from then on none can miss an event."""
    for client in clients:
        await client.connect(since=since)
    for client in clients:
        await client.wait_for_hello()


class Flood:
    """Clients asking GET /healthz over fresh connections, each again as soon as it is answered.

    `outcomes` counts every request by its answer's status, or by the error
    it ended with ("ConnectionResetError", "ConnectionRefusedError", ...).
    Use it as an async context manager: it floods from entry to exit.
    """

    REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

    def __init__(self, port: int, *, clients: int) -> None:
        self.port = port
        self.clients = clients
        self.outcomes: Counter[str] = Counter()
        self._stopping = False
        self._tasks: list[asyncio.Task] = []

    async def __aenter__(self) -> Flood:
        self._tasks = [asyncio.create_task(self._client()) for _ in range(self.clients)]
        return self

    async def __aexit__(self, *exc_info) -> None:
        self._stopping = True
        await asyncio.gather(*self._tasks)

    async def wait_for_answers(self, count: int) -> None:
        """Until `count` more requests have ended, however."""
        target = self.outcomes.total() + count
        async with asyncio.timeout(WAIT_TIMEOUT_SECONDS):
            while self.outcomes.total() < target:
                await asyncio.sleep(0.01)

    async def _client(self) -> None:
        while not self._stopping:
            try:
                async with asyncio.timeout(WAIT_TIMEOUT_SECONDS):
                    outcome = await self._request()
            except (OSError, TimeoutError) as error:
                outcome = type(error).__name__
            self.outcomes[outcome] += 1

    async def _request(self) -> str:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(self.REQUEST)
            await writer.drain()
            status_line = await reader.readline()
            await reader.read()
        finally:
            writer.close()
        return status_line.split(b" ")[1].decode() if status_line else "closed without an answer"

"""Clients that behave as the browser page does when servers restart: they roam between processes.

A `RoamingListener` follows the client recipe in docs/api.md: it applies an
event only if its seq is the last one plus one, fills a gap from
`GET …/events`, and after any close reconnects, with jittered exponential
backoff, to any process, resuming with `since`. A `RoamingPoster` retries a
post with the same `client_id`, on any process, until it is answered.

Both keep everything they saw, so a test can check the result the way
Jepsen does: against what the servers acknowledged and what the database holds.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.integration.clients import WAIT_TIMEOUT_SECONDS, HttpApi, event_seqs, visible_messages

# Quick, because the processes a test restarts come back within seconds.
RECONNECT_DELAY_FIRST = 0.05
RECONNECT_DELAY_MAX = 1.0
RETRY_DELAY_FIRST = 0.05
RETRY_DELAY_MAX = 0.5
# A post or delete that no process answers within this long has failed.
REQUEST_DEADLINE_SECONDS = 30
# ValueError: an answer that is not our JSON, such as a proxy's error page.
NETWORK_ERRORS = (OSError, http.client.HTTPException, ValueError)


class RoamingListener:
    def __init__(self, endpoints: Sequence[Any], room: str, *, seed: int) -> None:
        self.endpoints = list(endpoints)
        self.room = room
        self.random = random.Random(seed)
        # Events in the order this client applied them, each exactly once.
        self.applied: list[dict[str, Any]] = []
        self.position = 0
        self.connections = 0
        # How each connection ended, but the last one we closed; None: it never opened.
        self.close_codes: list[int | None] = []
        # Frames a socket sent at or before the seq it resumed from: a server bug.
        self.duplicate_frames = 0
        self.gaps_filled = 0
        self.resets = 0
        self._changed = asyncio.Condition()
        self._socket: ClientConnection | None = None
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._connected = asyncio.Event()

    def start(self) -> RoamingListener:
        self._task = asyncio.create_task(self._run())
        return self

    async def wait_until_connected(self) -> None:
        async with asyncio.timeout(WAIT_TIMEOUT_SECONDS):
            await self._connected.wait()

    async def wait_for_position(self, seq: int, timeout: float = WAIT_TIMEOUT_SECONDS) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.position >= seq)

    async def stop(self) -> None:
        self._stopping = True
        if self._socket is not None:
            await self._socket.close()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        delay = RECONNECT_DELAY_FIRST
        while not self._stopping:
            endpoint = self.random.choice(self.endpoints)
            url = f"{endpoint.ws_url}/ws/rooms/{self.room}/?since={self.position}"
            try:
                async with connect(url, open_timeout=5, proxy=None) as socket:
                    self._socket = socket
                    self.connections += 1
                    try:
                        async for text in socket:
                            await self._receive(json.loads(text))
                            delay = RECONNECT_DELAY_FIRST
                    except ConnectionClosed:
                        pass
                    if not self._stopping:
                        self.close_codes.append(socket.close_code)
            except (OSError, InvalidHandshake, TimeoutError):
                self.close_codes.append(None)
            finally:
                self._socket = None
            if self._stopping:
                return
            await asyncio.sleep(delay * self.random.uniform(0.5, 1.0))
            delay = min(delay * 2, RECONNECT_DELAY_MAX)

    async def _receive(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "hello":
            self._connected.set()
            return
        if kind == "reset":
            self.resets += 1
            return
        seq = frame["seq"]
        if seq <= self.position:
            self.duplicate_frames += 1
            return
        if seq > self.position + 1:
            self.gaps_filled += 1
            for event in await asyncio.to_thread(self._events_since, self.position, seq - 1):
                await self._apply(event)
        if seq == self.position + 1:
            await self._apply(frame)

    def _events_since(self, since: int, until: int) -> list[dict[str, Any]]:
        """What a gap is missing, from any process; blocking."""
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + REQUEST_DEADLINE_SECONDS
        while since < until:
            endpoint = self.random.choice(self.endpoints)
            try:
                status, body = HttpApi(endpoint.http_url).request("GET", f"/api/rooms/{self.room}/events?since={since}")
            except NETWORK_ERRORS:
                status, body = 0, None
            if status != 200:
                if time.monotonic() > deadline:
                    raise AssertionError(f"could not fill a gap after {since}: {status} {body}")
                time.sleep(RETRY_DELAY_FIRST)
                continue
            page = [event for event in body["events"] if event["seq"] <= until]
            events.extend(page)
            if not page:
                break
            since = page[-1]["seq"]
        return events

    async def _apply(self, event: dict[str, Any]) -> None:
        async with self._changed:
            self.applied.append(event)
            self.position = event["seq"]
            self._changed.notify_all()

    @property
    def event_seqs(self) -> list[int]:
        return event_seqs(self.applied)

    def created_message_ids(self) -> Counter[int]:
        return Counter(event["message"]["id"] for event in self.applied if event["type"] == "message.created")

    def visible_messages(self) -> dict[int, str]:
        return visible_messages(self.applied)

    def shown_after_deletion(self, message_id: int) -> list[dict[str, Any]]:
        """Frames that showed a message's text after this client learnt it was deleted."""
        deletions = [
            index
            for index, event in enumerate(self.applied)
            if event["type"] == "message.deleted" and event["message_id"] == message_id
        ]
        if not deletions:
            return []
        return [
            event
            for event in self.applied[deletions[0] + 1 :]
            if event["type"] == "message.created"
            and event["message"]["id"] == message_id
            and "text" in event["message"]
        ]


class RoamingPoster:
    """Posts and deletes through any process, retrying each with the same key until one answers."""

    def __init__(self, endpoints: Sequence[Any], room: str, *, token: str, seed: int) -> None:
        self.endpoints = list(endpoints)
        self.room = room
        self.token = token
        self.random = random.Random(seed)
        # Every post the servers acknowledged, once each, whatever the retries.
        self.acknowledged: list[dict[str, Any]] = []
        self.retries = 0

    def post(self, text: str) -> dict[str, Any]:
        """Blocking; call from a thread."""
        client_id = str(uuid.uuid4())
        status, body = self._until_answered(
            "POST", f"/api/rooms/{self.room}/messages", {"text": text, "client_id": client_id}
        )
        if status not in (200, 201):
            raise AssertionError(f"posting {text!r} failed with {status}: {body}")
        self.acknowledged.append(body["message"])
        return body["message"]

    def delete(self, message_id: int) -> None:
        status, body = self._until_answered("DELETE", f"/api/rooms/{self.room}/messages/{message_id}")
        if status != 204:
            raise AssertionError(f"deleting {message_id} failed with {status}: {body}")

    def _until_answered(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        delay = RETRY_DELAY_FIRST
        deadline = time.monotonic() + REQUEST_DEADLINE_SECONDS
        while True:
            endpoint = self.random.choice(self.endpoints)
            try:
                status, answer = HttpApi(endpoint.http_url).request(method, path, body, token=self.token)
            except NETWORK_ERRORS:
                status, answer = 0, None
            # A process going away answers nothing, or 502/503 behind a proxy: try another.
            if status and status < 500:
                return status, answer
            self.retries += 1
            if time.monotonic() > deadline:
                return status, answer
            time.sleep(delay * self.random.uniform(0.5, 1.0))
            delay = min(delay * 2, RETRY_DELAY_MAX)

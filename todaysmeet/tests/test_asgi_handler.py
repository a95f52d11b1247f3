"""The HTTP side of todaysmeet.asgi: one thread hop for a request's start and view, Django's answers unchanged."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from channels.db import database_sync_to_async
from django.core import signals
from django.db import connections

from rooms import selectors, services
from todaysmeet.asgi import application, sync_threads

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 10


@pytest.fixture(autouse=True)
async def connections_closed_after():
    """The pinned threads' connections must not outlive the test database."""
    yield
    loop = asyncio.get_running_loop()
    for executor in sync_threads.executors:
        await loop.run_in_executor(executor, connections.close_all)
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def signal_threads():
    """request_started / request_finished → the name of the thread each was sent on."""
    seen: dict[str, list[str]] = {"started": [], "finished": []}

    def started(**kwargs):
        seen["started"].append(threading.current_thread().name)

    def finished(**kwargs):
        seen["finished"].append(threading.current_thread().name)

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield seen
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


def _scope(path: str, *, token: str | None = None) -> dict:
    headers = [(b"host", b"127.0.0.1")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def _get(path: str, *, token: str | None = None, client_leaves: bool = False) -> list[dict]:
    """What the application sends for a GET; with `client_leaves`, the client disconnects right after asking."""
    sent: list[dict] = []
    asked = False

    async def receive() -> dict:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if client_leaves:
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()
        return {}

    async def send(message: dict) -> None:
        sent.append(message)

    await asyncio.wait_for(application(_scope(path, token=token), receive, send), WAIT_SECONDS)
    return sent


async def test_a_requests_start_and_end_run_on_its_database_thread_and_the_answer_is_djangos(signal_threads):
    sent = await _get("/api/rooms/no-such-room/messages")

    assert sent[0]["status"] == 404
    assert (b"content-type", b"application/json") in [(name.lower(), value) for name, value in sent[0]["headers"]]
    assert json.loads(b"".join(message.get("body", b"") for message in sent[1:]))["error"]["code"] == ("room_not_found")
    assert len(signal_threads["started"]) == 1
    assert signal_threads["started"] == signal_threads["finished"]
    assert signal_threads["started"][0].startswith("sync-")


@pytest.fixture
def long_transcript(owner, room, monkeypatch):
    """A room whose transcript comes in several pieces."""
    monkeypatch.setattr(selectors, "TRANSCRIPT_CHUNK_SIZE", 2)
    for index in range(12):
        services.message_post(room=room, author=owner.obj, text=f"message {index}")
    return room


async def test_a_streamed_answer_is_sent_whole_to_a_client_that_stays(long_transcript, owner, signal_threads):
    sent = await _get(f"/api/rooms/{long_transcript.name}/transcript.csv", token=owner.token)

    assert sent[0]["status"] == 200
    body = b"".join(message.get("body", b"") for message in sent[1:]).decode()
    assert all(f"message {index}" in body for index in range(12))
    assert sent[-1].get("more_body", False) is False
    assert len(signal_threads["finished"]) == 1


async def test_a_streamed_answer_stops_once_its_client_has_gone_and_the_request_still_finishes(
    long_transcript, owner, signal_threads
):
    sent = await _get(f"/api/rooms/{long_transcript.name}/transcript.csv", token=owner.token, client_leaves=True)

    body = b"".join(message.get("body", b"") for message in sent[1:]).decode()
    assert "message 11" not in body
    # The response was closed all the same: its generator, and the request's end.
    assert len(signal_threads["finished"]) == 1

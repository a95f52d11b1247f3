"""Which thread a connection's sync code runs on (todaysmeet/sync_threads.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async

from todaysmeet.sync_threads import PinnedSyncThreads

# Generous: a passing test never waits this long.
WAIT_SECONDS = 10


@dataclass
class Busy:
    """Holds a request's first sync call on its thread until the test lets it go."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def _thread_name(busy: Busy | None) -> str:
    if busy is not None:
        busy.started.set()
        assert busy.release.wait(WAIT_SECONDS), "the test never released the busy request"
    return threading.current_thread().name


async def _record_threads(scope, receive, send) -> None:
    """An ASGI app that runs sync code twice, as a view and its middleware would, and says where."""
    first = await sync_to_async(_thread_name, thread_sensitive=True)(scope["busy"])
    second = await sync_to_async(_thread_name, thread_sensitive=True)(None)
    scope["threads"].extend([first, second])
    scope["recorded"].set()
    if scope["type"] == "websocket":
        await receive()


def _scope(kind: str = "http", busy: Busy | None = None) -> dict:
    return {"type": kind, "busy": busy, "threads": [], "recorded": asyncio.Event()}


async def _nothing_to_receive() -> dict:
    return {}


async def _discard(message: dict) -> None:
    return


async def _request(pinned: PinnedSyncThreads, scope: dict) -> list[str]:
    await pinned(scope, _nothing_to_receive, _discard)
    return scope["threads"]


async def test_a_connections_sync_calls_all_run_on_one_thread():
    pinned = PinnedSyncThreads(_record_threads, threads=3)

    threads = await _request(pinned, _scope())

    assert len(set(threads)) == 1


async def test_short_requests_share_the_first_thread():
    pinned = PinnedSyncThreads(_record_threads, threads=3)

    answers = await asyncio.gather(*(_request(pinned, _scope()) for _ in range(10)))

    assert {thread for threads in answers for thread in threads} == {"sync-0_0"}


async def test_a_request_after_a_slow_one_runs_on_the_next_thread_without_waiting_for_it():
    pinned = PinnedSyncThreads(_record_threads, threads=3)
    # Any request still running counts as slow.
    pinned.SPILL_AFTER_SECONDS = 0
    busy = Busy()
    slow = asyncio.create_task(_request(pinned, _scope(busy=busy)))
    assert await asyncio.to_thread(busy.started.wait, WAIT_SECONDS)

    quick = await asyncio.wait_for(_request(pinned, _scope()), WAIT_SECONDS)
    slow_was_running = not slow.done()
    busy.release.set()

    assert slow_was_running
    assert set(quick) == {"sync-1_0"}
    assert set(await slow) == {"sync-0_0"}


async def test_websockets_are_spread_over_the_threads():
    pinned = PinnedSyncThreads(_record_threads, threads=3)
    hang_up = asyncio.Event()

    async def receive_until_hang_up() -> dict:
        await hang_up.wait()
        return {"type": "websocket.disconnect"}

    scopes = [_scope("websocket") for _ in range(3)]
    sockets = [asyncio.create_task(pinned(scope, receive_until_hang_up, _discard)) for scope in scopes]
    await asyncio.wait_for(asyncio.gather(*(scope["recorded"].wait() for scope in scopes)), WAIT_SECONDS)
    hang_up.set()
    await asyncio.gather(*sockets)

    assert sorted(scope["threads"][0] for scope in scopes) == ["sync-0_0", "sync-1_0", "sync-2_0"]
    assert pinned.websockets_open == [0, 0, 0]


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0)


async def _answer(pinned: PinnedSyncThreads, scope: dict) -> list[dict]:
    sent: list[dict] = []

    async def keep(message: dict) -> None:
        sent.append(message)

    await pinned(scope, _nothing_to_receive, keep)
    return sent


async def test_a_request_that_would_wait_past_the_limit_is_refused_at_once_and_health_checks_are_not():
    # A limit of 0: any call waiting for the thread (not one running on it) is too long a queue.
    pinned = PinnedSyncThreads(_record_threads, threads=1, wait_limit_seconds=0)
    busy = Busy()
    running = asyncio.create_task(_request(pinned, _scope(busy=busy)))
    assert await asyncio.to_thread(busy.started.wait, WAIT_SECONDS)
    queued_scope = _scope()
    queued = asyncio.create_task(_request(pinned, queued_scope))
    await asyncio.wait_for(_until(lambda: pinned.executors[0].waiting_calls == 1), WAIT_SECONDS)

    post = {
        **_scope(),
        "method": "POST",
        "path": "/api/rooms/biology/messages",
        "query_string": b"",
        "headers": [(b"accept-language", b"es")],
    }
    refused = await asyncio.wait_for(_answer(pinned, post), 1)
    health_scope = {**_scope(), "path": "/healthz"}
    health = asyncio.create_task(_request(pinned, health_scope))
    busy.release.set()
    await asyncio.wait_for(asyncio.gather(running, queued, health), WAIT_SECONDS)

    start, body = refused
    assert start["status"] == 503
    assert (b"retry-after", b"1") in start["headers"]
    error = json.loads(body["body"])["error"]
    assert error["code"] == "overloaded"
    assert error["message"] == "El servidor está ocupado. Vuelve a intentarlo en un momento."
    assert queued_scope["threads"] and health_scope["threads"]


async def test_without_a_limit_every_request_queues():
    pinned = PinnedSyncThreads(_record_threads, threads=1)
    busy = Busy()
    running = asyncio.create_task(_request(pinned, _scope(busy=busy)))
    assert await asyncio.to_thread(busy.started.wait, WAIT_SECONDS)
    waiting = [asyncio.create_task(_request(pinned, _scope())) for _ in range(3)]
    await asyncio.wait_for(_until(lambda: pinned.executors[0].waiting_calls == 3), WAIT_SECONDS)
    busy.release.set()

    answers = await asyncio.wait_for(asyncio.gather(running, *waiting), WAIT_SECONDS)

    assert all(threads == ["sync-0_0", "sync-0_0"] for threads in answers)


async def test_a_call_cancelled_while_it_waited_no_longer_counts_as_waiting():
    pinned = PinnedSyncThreads(_record_threads, threads=1, wait_limit_seconds=0)
    busy = Busy()
    running = asyncio.create_task(_request(pinned, _scope(busy=busy)))
    assert await asyncio.to_thread(busy.started.wait, WAIT_SECONDS)
    gone = asyncio.create_task(_request(pinned, _scope()))
    await asyncio.wait_for(_until(lambda: pinned.executors[0].waiting_calls == 1), WAIT_SECONDS)

    # As Django cancels a request whose client disconnected.
    gone.cancel()
    await asyncio.wait_for(_until(lambda: pinned.executors[0].waiting_calls == 0), WAIT_SECONDS)
    busy.release.set()
    await asyncio.wait_for(running, WAIT_SECONDS)

    assert pinned.executors[0].expected_wait_seconds(time.monotonic()) == 0

"""Where Django's sync code runs under ASGI: a few long-lived threads, one hop per request.

Django's ASGI handler gives every HTTP request a new thread for its sync
(ORM) code, and Django keeps one database connection per thread. With
persistent connections (CONN_MAX_AGE) each request therefore opened a new
PostgreSQL connection that outlived it: under load a process piled up idle
connections until PostgreSQL refused new clients, and every request paid for
a fresh connection. Django's answer is to turn persistence off, which still
pays a connection per request. Django has had a connection pool since 5.1
(`OPTIONS["pool"]`), but only for the psycopg 3 backend: we use psycopg2,
for which Django has none.

Instead every connection (an HTTP request or a websocket) is pinned, for its
whole life, to one of `DATABASE_THREADS` single-thread executors. Its sync
calls still run one at a time on one thread, as thread-sensitive code
expects, and the process holds at most that many connections (plus one for
the streaming hub and socket starts, which run outside any connection's
context), each reused across requests.

SyncMiddlewareASGIHandler then runs a request's whole middleware chain and
view in one trip to that thread, instead of Django's trip per middleware hook.

Admission is bounded: an HTTP request that would wait longer than
ADMISSION_WAIT_LIMIT_MS for its thread is answered 503 `overloaded` with
Retry-After at once, before Django sees it, instead of joining a queue that
only grows. Nothing of it was done, so the client may send it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import io
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, ASGIRequest, get_script_prefix
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.urls import set_script_prefix
from django.utils import translation

from todaysmeet.errors import Overloaded, error_response_from
from todaysmeet.metrics import DATABASE_THREAD_QUEUES, OVERLOAD_REFUSALS

T = TypeVar("T")

# Paths answered whatever the load: the supervisor's health check must tell
# a busy process from a dead one, and static files need no database.
ALWAYS_ADMITTED_PREFIXES = ("/healthz", "/static/")
# How much each finished call moves the average call time.
CALL_TIME_WEIGHT = 0.1
# A call counts in the average as taking at most this long. A slow one (a
# new process's first requests, a sign-in's password hash, an export) is
# not what the calls queued behind it will take, and alone it must not make
# a few waiting calls look like a queue too long to join.
CALL_TIME_COUNTED_AT_MOST = 0.05


class TimedExecutor(ThreadPoolExecutor):
    """One thread, which knows how long its queue would make a new call wait.

    The estimate is the larger of two: how long the oldest waiting call has
    waited already, and the calls waiting times the recent average call
    (which sees a burst before anything in it has waited).
    """

    def __init__(self, *, thread_name_prefix: str) -> None:
        super().__init__(max_workers=1, thread_name_prefix=thread_name_prefix)
        # Each call not started yet → when it was queued, oldest first.
        self._waiting: dict[object, float] = {}
        self._waiting_lock = threading.Lock()
        self.average_call_seconds = 0.0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        call = object()
        with self._waiting_lock:
            self._waiting[call] = time.monotonic()

        def timed() -> T:
            started = time.monotonic()
            self._forget(call)
            try:
                return fn(*args, **kwargs)
            finally:
                took = min(time.monotonic() - started, CALL_TIME_COUNTED_AT_MOST)
                self.average_call_seconds += CALL_TIME_WEIGHT * (took - self.average_call_seconds)

        future = super().submit(timed)
        # A call cancelled before it ran (its client went away while it
        # waited) never starts: it must not look like it still waits.
        future.add_done_callback(lambda _: self._forget(call))
        return future

    def _forget(self, call: object) -> None:
        with self._waiting_lock:
            self._waiting.pop(call, None)

    @property
    def waiting_calls(self) -> int:
        return len(self._waiting)

    def expected_wait_seconds(self, now: float) -> float:
        with self._waiting_lock:
            waiting = len(self._waiting)
            oldest = next(iter(self._waiting.values())) if waiting else now
        return max(now - oldest, waiting * self.average_call_seconds)


class PinnedSyncThreads:
    """Pin each connection to a thread: requests queue on the first, and spill past a slow one.

    Two threads running ORM code at once fight over the GIL: each gives it up
    on every query and then waits up to the switch interval (5 ms) to get it
    back. With requests spread over four threads that tripled the classrooms
    scenario's p99 against one thread. So an HTTP request goes to the first
    thread and waits its turn behind short requests; only when the request
    running there has taken longer than SPILL_AFTER_SECONDS (a sign-in's
    password hash, an export) does the next one go to the next thread.
    Websockets use their thread rarely (a moderator check), so they are
    spread by count.
    """

    SPILL_AFTER_SECONDS = 0.2

    def __init__(self, application, *, threads: int, wait_limit_seconds: float | None = None) -> None:
        self.application = application
        self.wait_limit_seconds = wait_limit_seconds
        self.executors = [TimedExecutor(thread_name_prefix=f"sync-{index}") for index in range(threads)]
        for index, executor in enumerate(self.executors):
            DATABASE_THREAD_QUEUES.watch(f"sync-{index}", executor)
        # Where the hub and socket starts run theirs (spawn_detached).
        DATABASE_THREAD_QUEUES.watch("shared", SyncToAsync.single_thread_executor)
        # Per thread: when each HTTP request pinned to it started.
        self.requests_started: list[dict[object, float]] = [{} for _ in range(threads)]
        self.websockets_open = [0] * threads

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self.application(scope, receive, send)
            return
        if scope["type"] == "websocket":
            index = min(range(len(self.websockets_open)), key=self.websockets_open.__getitem__)
            self.websockets_open[index] += 1
            try:
                await self._run_on(index, scope, receive, send)
            finally:
                self.websockets_open[index] -= 1
            return
        now = asyncio.get_running_loop().time()
        index = self._admitted_thread(self._thread_for_request(now), scope)
        if index is None:
            await _refuse_overloaded(scope, send)
            return
        token = object()
        self.requests_started[index][token] = now
        try:
            await self._run_on(index, scope, receive, send)
        finally:
            del self.requests_started[index][token]

    def _admitted_thread(self, index: int, scope) -> int | None:
        """The thread for the request: `index`, or the least busy if its queue is too long; None if all are."""
        if self.wait_limit_seconds is None or scope.get("path", "").startswith(ALWAYS_ADMITTED_PREFIXES):
            return index
        now = time.monotonic()
        waits = [executor.expected_wait_seconds(now) for executor in self.executors]
        if waits[index] <= self.wait_limit_seconds:
            return index
        # Sockets' calls (a burst of disconnects) can back up one thread
        # while another is free: refuse only when none would answer in time.
        quickest = min(range(len(waits)), key=waits.__getitem__)
        return quickest if waits[quickest] <= self.wait_limit_seconds else None

    def _thread_for_request(self, now: float) -> int:
        for index, started in enumerate(self.requests_started):
            if not started or now - min(started.values()) < self.SPILL_AFTER_SECONDS:
                return index
        return min(range(len(self.requests_started)), key=lambda index: len(self.requests_started[index]))

    async def _run_on(self, index: int, scope, receive, send) -> None:
        # Django's own per-request ThreadSensitiveContext, entered inside
        # this one, defers to it (only the outermost context picks the thread).
        async with ThreadSensitiveContext(executor=self.executors[index]):
            await self.application(scope, receive, send)


async def _refuse_overloaded(scope, send) -> None:
    OVERLOAD_REFUSALS.inc()
    # In the language LocaleMiddleware would have picked (cookie, then
    # Accept-Language): the request never reaches it.
    language = translation.get_language_from_request(ASGIRequest(scope, io.BytesIO()))
    with translation.override(language):
        response = error_response_from(Overloaded())
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
    headers.append((b"content-length", str(len(response.content)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})


def spawn_detached(coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Run `coroutine` as a task of the running loop that belongs to no connection.

    A task inherits the context of the code that creates it, and with it that
    connection's pinned thread, which takes sync calls only while the
    connection is open (asgiref raises after). Work that may outlive the
    socket that starts it (the hub's reader, a read shared by several
    sockets) gets a fresh context instead: its sync calls go to asgiref's
    one shared thread.
    """
    return asyncio.get_running_loop().create_task(coroutine, context=contextvars.Context())


class SyncMiddlewareASGIHandler(ASGIHandler):
    """Django's ASGI handler, with the request's start, middleware chain and view in one thread hop.

    In its async mode Django runs each sync middleware hook (process_request,
    process_response, …) in a sync_to_async call of its own: a dozen trips
    between the event loop and a thread per request, each one waiting for a
    loop that is also writing websocket frames. Every middleware and view here
    is sync (an async view still works: Django runs it with async_to_sync), so
    the chain is built in sync mode and called once.

    Django's handle() also sends `request_started` from the loop, and closes
    the answer (sending `request_finished`) from it after sending, each in a
    hop of its own to run their sync receivers (which may close a stale
    database connection); and it watches for the client's disconnect in a
    task beside the view's. Here both signals are sent in the view's hop: an
    answer whose bytes are all in it is closed before it is sent. Only a
    streamed answer (an export) is closed after sending, and the disconnect
    is watched only while one is sent: a sync view runs to its end whatever
    the client does, and Daphne drops an answer to a client that has gone.
    That is one hop a request instead of three, and no tasks: a hop costs
    about 0.18 ms of CPU on the benchmark VM (docs/performance.md).
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    async def handle(self, scope, receive, send) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            set_script_prefix(get_script_prefix(scope))
            response = await sync_to_async(self._started_and_answered, thread_sensitive=True)(scope, body_file)
            if not response.streaming:
                # Closed (request_finished sent) in the hop that made it.
                await self.send_response(response, send)
                return
            await self._send_while_connected(response, receive, send)
            # Its content was read while it was sent: closed only now, in
            # the thread whose connection request_finished may close.
            await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _started_and_answered(self, scope, body_file) -> HttpResponseBase:
        """request_started, the request, its answer; and, for an answer already whole, request_finished."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            # Its bytes are all in it: what closing frees (the database
            # connection, if it must go) is no longer needed to send it.
            response.close()
        return response

    async def _send_while_connected(self, response: HttpResponseBase, receive, send) -> None:
        """Send a streamed answer, and stop reading it once its client has gone (as Django does)."""
        disconnected = asyncio.create_task(self.listen_for_disconnect(receive))
        sending = asyncio.create_task(self.send_response(response, send))
        await asyncio.wait([disconnected, sending], return_when=asyncio.FIRST_COMPLETED)
        for task in (disconnected, sending):
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                await task

"""Run each ASGI connection's sync code on one of a few long-lived threads.

Django's ASGI handler gives every HTTP request a new thread for its sync
(ORM) code, and Django keeps one database connection per thread. With
persistent connections (CONN_MAX_AGE) each request therefore opened a new
PostgreSQL connection that outlived it: under load a process piled up idle
connections until PostgreSQL refused new clients, and every request paid for
a fresh connection. Django's answer is to turn persistence off, which still
pays a connection per request.

Instead every connection (an HTTP request or a websocket) is pinned, for its
whole life, to one of `DATABASE_THREADS` single-thread executors. Its sync
calls still run one at a time on one thread, as thread-sensitive code
expects, and the process holds at most that many connections (plus one for
the hub), each reused across requests.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext


class PinnedSyncThreads:
    def __init__(self, application, *, threads: int) -> None:
        self.application = application
        self.executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sync-{index}") for index in range(threads)
        ]
        # Connections currently pinned to each thread; a new one goes to the least loaded.
        self.pinned = [0] * threads

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self.application(scope, receive, send)
            return
        index = min(range(len(self.pinned)), key=self.pinned.__getitem__)
        self.pinned[index] += 1
        try:
            # Django's own per-request ThreadSensitiveContext, entered inside
            # this one, defers to it (only the outermost context picks the thread).
            async with ThreadSensitiveContext(executor=self.executors[index]):
                await self.application(scope, receive, send)
        finally:
            self.pinned[index] -= 1

"""Fixtures for the streaming tests.

Every test here runs in its own event loop, so it gets its own RoomHub, just
as each server process does.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connections

from streaming.hub import room_hub
from streaming.tests.sockets import Listener
from todaysmeet.asgi import sync_threads


@pytest.fixture
async def listen():
    """Open a socket on a room; every socket is closed when the test ends."""
    listeners: list[Listener] = []

    async def open_listener(path: str, **kwargs: Any) -> Listener:
        listener = Listener(path, **kwargs)
        listeners.append(listener)
        return await listener.open()

    yield open_listener
    for listener in listeners:
        await listener.close()
    # As a server does on shutdown: pytest-asyncio closes this loop next, and
    # a reader still blocked in the layer would hold that up.
    await room_hub().close()
    # Sockets reach the database from the threads they are pinned to, the
    # hub and the tests from asgiref's one worker thread. Those threads live
    # on, and their connections would otherwise outlive the test database.
    loop = asyncio.get_running_loop()
    for executor in sync_threads.executors:
        await loop.run_in_executor(executor, connections.close_all)
    await database_sync_to_async(connections.close_all)()

"""A restarting process closes the sockets it holds with 1012, and turns new ones away with 1012."""

from __future__ import annotations

import weakref

import pytest

from streaming import lifecycle
from streaming.close_codes import CLOSE_SERVICE_RESTART
from streaming.tests.sockets import room_path

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """No sockets known and not draining, as in a process that just started; drain_sockets changes both."""
    monkeypatch.setattr(lifecycle, "_open_sockets", weakref.WeakSet())
    monkeypatch.setattr(lifecycle, "_draining", False)


async def test_draining_closes_every_open_socket_with_1012(room, listen):
    listeners = [await listen(room_path(room)) for _ in range(3)]
    for listener in listeners:
        await listener.next_frame()

    drained = await lifecycle.drain_sockets(spread_seconds=0)

    assert drained == 3
    assert [await listener.close_code() for listener in listeners] == [CLOSE_SERVICE_RESTART] * 3


async def test_a_socket_that_closed_is_not_drained(room, listen):
    gone = await listen(room_path(room))
    await gone.next_frame()
    await gone.close()
    staying = await listen(room_path(room))
    await staying.next_frame()

    drained = await lifecycle.drain_sockets(spread_seconds=0)

    assert drained == 1
    assert await staying.close_code() == CLOSE_SERVICE_RESTART


async def test_a_socket_opened_while_draining_is_closed_at_once_with_1012(room, listen):
    await lifecycle.drain_sockets(spread_seconds=0)

    # Accepted first, so the client learns why and goes to another process.
    listener = await listen(room_path(room))

    assert await listener.close_code() == CLOSE_SERVICE_RESTART
    assert await lifecycle.drain_sockets(spread_seconds=0) == 0

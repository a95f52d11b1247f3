"""A restarting process knows its sockets, and turns new ones away with 1012."""

from __future__ import annotations

import pytest

from streaming import lifecycle
from streaming.close_codes import CLOSE_SERVICE_RESTART

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_a_socket_is_counted_while_open_and_forgotten_when_it_closes(room, listen):
    listener = await listen(f"/ws/rooms/{room.name}/")
    await listener.next_frame()
    open_while_connected = lifecycle.open_socket_count()
    await listener.close()

    assert open_while_connected == 1
    assert lifecycle.open_socket_count() == 0


async def test_a_socket_opened_while_draining_is_closed_at_once_with_1012(room, listen, monkeypatch):
    monkeypatch.setattr(lifecycle, "_draining", True)

    # Accepted first, so the client learns why and goes to another process.
    listener = await listen(f"/ws/rooms/{room.name}/")

    assert await listener.close_code() == CLOSE_SERVICE_RESTART
    assert lifecycle.open_socket_count() == 0

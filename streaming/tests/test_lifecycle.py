"""A restarting process knows its sockets, and turns new ones away with 1012."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from streaming import lifecycle
from streaming.hub import room_hub
from todaysmeet.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
async def stop_hub():
    yield
    await room_hub().close()


async def test_a_socket_is_counted_while_open_and_forgotten_when_it_closes(room):
    communicator = WebsocketCommunicator(application, f"/ws/rooms/{room.name}/")
    await communicator.connect()
    await communicator.receive_json_from()
    open_while_connected = lifecycle.open_socket_count()
    await communicator.disconnect()

    assert open_while_connected == 1
    assert lifecycle.open_socket_count() == 0


async def test_a_socket_opened_while_draining_is_closed_at_once_with_1012(room, monkeypatch):
    monkeypatch.setattr(lifecycle, "_draining", True)
    communicator = WebsocketCommunicator(application, f"/ws/rooms/{room.name}/")

    connected, _ = await communicator.connect()
    output = await communicator.receive_output(timeout=5)
    await communicator.wait()

    # Accepted first, so the client learns why and goes to another process.
    assert connected
    assert output == {"type": "websocket.close", "code": lifecycle.CLOSE_SERVICE_RESTART}
    assert lifecycle.open_socket_count() == 0

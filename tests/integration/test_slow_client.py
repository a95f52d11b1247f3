"""Clients that stop reading are cut off; the server's memory stays bounded and everyone else is served."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from rooms import services
from rooms.models import Room
from tests.integration.clients import StreamClient
from tests.integration.rooms import Classroom, open_classroom
from tests.servers import scrape_metrics, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Small, so little traffic reaches it; production's is 1 MiB.
SEND_BUFFER_LIMIT = 64 * 1024
# The largest message, 280 code points of 4 bytes: each frame is about 1.3 KB.
LONGEST_TEXT = "\N{TURTLE}" * 280
POSTS = 400
STUCK_CLIENTS = 60
# Each stuck socket is owed ~520 KB. The kernel takes ~130 KB of it; without
# the limit the server would hold the rest, ~23 MB for all of them. With it,
# each holds at most the limit, and only until it is cut off.
MEMORY_GROWTH_BUDGET_KIB = 8 * 1024
# Generous for a loaded CI machine; a server that waited on stuck sockets
# would not deliver at all until they were cut off.
FOLLOWER_LAG_LIMIT_SECONDS = 5
TCP_ESTABLISHED = 1
METRICS_TOKEN = "slow-client-metrics-token-0123456789"


@pytest.fixture
def quiet_room(owner, make_participant) -> Classroom:
    return open_classroom(owner, make_participant, name="tortoise", students=0)


@pytest.fixture
def publish_to(settings):
    """Make this test process publish through the servers' Redis, so it can post quickly without HTTP."""

    def use(redis) -> None:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [redis.url], "prefix": "test", "capacity": 5000},
            }
        }

    return use


@database_sync_to_async
def post_longest_messages(classroom: Classroom, owner, count: int) -> float:
    """Post through the service, as the API would; when the last one was committed and published."""
    try:
        room = Room.objects.get(pk=classroom.room_id)
        for _ in range(count):
            services.message_post(room=room, author=owner.obj, text=LONGEST_TEXT)
        return time.monotonic()
    finally:
        connection.close()


def open_stuck_socket(port: int, path: str) -> socket.socket:
    """A websocket client that sends its handshake and then never reads a byte."""
    stuck = socket.socket()
    # A small window, as a phone that froze would advertise.
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    stuck.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    return stuck


def answered(stuck: socket.socket) -> bool:
    """Whether the server accepted the socket and sent hello; peeking consumes nothing."""
    try:
        return bool(stuck.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return False


def still_connected(stuck: socket.socket) -> bool:
    # tcpi_state, the first byte of TCP_INFO: the server's reset shows here
    # without reading anything.
    return stuck.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == TCP_ESTABLISHED


async def test_a_client_that_never_reads_is_cut_off_and_the_server_stays_small_while_others_get_every_post(
    private_redis, start_servers, publish_to, quiet_room, owner
):
    (server,) = await asyncio.to_thread(
        start_servers,
        1,
        redis=private_redis,
        SOCKET_SEND_BUFFER_LIMIT=os.environ.get("TEST_SOCKET_SEND_BUFFER_LIMIT", str(SEND_BUFFER_LIMIT)),
        METRICS_TOKEN=METRICS_TOKEN,
    )
    publish_to(private_redis)
    follower = await StreamClient(server.ws_url, quiet_room.name).connect(since=0)
    await follower.wait_for_hello()
    stuck = [open_stuck_socket(server.port, f"/ws/rooms/{quiet_room.name}/?since=0") for _ in range(STUCK_CLIENTS)]
    await asyncio.to_thread(
        wait_until, lambda: all(answered(client) for client in stuck), timeout=20, message="stuck sockets not accepted"
    )
    baseline_kib = server.rss_kib()

    last_posted_at = await post_longest_messages(quiet_room, owner, POSTS)
    await follower.wait_for_position(POSTS)
    follower_lag = time.monotonic() - last_posted_at
    await asyncio.to_thread(
        wait_until,
        lambda: not any(still_connected(client) for client in stuck),
        timeout=20,
        message="a client that never reads was not cut off",
    )
    growth_kib = server.rss_kib() - baseline_kib
    metrics = await asyncio.to_thread(scrape_metrics, server.http_url, token=METRICS_TOKEN)
    await follower.close()
    for client in stuck:
        client.close()

    print(f"follower lag {follower_lag:.2f}s, rss grew {growth_kib} KiB from {baseline_kib} KiB")
    assert follower.event_seqs == list(range(1, POSTS + 1))
    assert follower_lag < FOLLOWER_LAG_LIMIT_SECONDS
    assert growth_kib < MEMORY_GROWTH_BUDGET_KIB
    assert metrics[("todaysmeet_slow_client_cutoffs_total", frozenset({("reason", "send_buffer")}))] >= 1

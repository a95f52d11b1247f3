"""SIGTERM to `manage.py serve`: sockets are told 1012 a few at a time, requests in flight finish, exit 0;
nothing queued on a handed-over socket is lost."""

from __future__ import annotations

import asyncio
import http.client
import json
import signal
import socket
import threading
import time
import uuid

import psutil
import pytest
from django.db import connection, transaction

from rooms.models import Room
from streaming.close_codes import CLOSE_SERVICE_RESTART
from tests.integration.clients import StreamClient, connect_all
from tests.integration.rooms import Classroom, open_classroom
from tests.servers import ServeProcess, listening_socket, server_environment, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DRAIN_SECONDS = 2.0
SOCKETS = 10
# Connections the kernel queues while no process accepts: more than Twisted
# accepts in one go (100), so some are still queued when the process stops.
QUEUED_CONNECTIONS = 300
WEBSOCKET_TEXT = 0x1
WEBSOCKET_CLOSE = 0x8


@pytest.fixture
def classroom(owner, make_participant) -> Classroom:
    return open_classroom(owner, make_participant, name="goodbye", students=1)


class HeldRoomLock:
    """Holds the room's row lock from another thread, so a post to that room waits for it."""

    def __init__(self, room_id: int) -> None:
        self.room_id = room_id
        self.held = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def __enter__(self) -> HeldRoomLock:
        self.thread.start()
        assert self.held.wait(10), "could not lock the room"
        return self

    def __exit__(self, *exc_info) -> None:
        self.release.set()
        self.thread.join(10)

    def _hold(self) -> None:
        try:
            with transaction.atomic():
                Room.objects.select_for_update().get(pk=self.room_id)
                self.held.set()
                self.release.wait(30)
        finally:
            connection.close()


def start_post(port: int, room: str, token: str) -> tuple[http.client.HTTPConnection, int]:
    """Send a post and don't wait for its answer; the connection and its local port."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    client.connect()
    body = json.dumps({"text": "sent just before the restart", "client_id": str(uuid.uuid4())})
    client.request(
        "POST",
        f"/api/rooms/{room}/messages",
        body=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    return client, client.sock.getsockname()[1]


def holds_connection_from(pid: int, client_port: int) -> bool:
    return any(opened.raddr and opened.raddr.port == client_port for opened in psutil.Process(pid).net_connections())


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


async def test_sigterm_closes_sockets_with_1012_over_the_drain_finishes_the_post_in_flight_and_exits_0(
    start_servers, classroom
):
    (server,) = await asyncio.to_thread(start_servers, 1, redis=None, drain_seconds=DRAIN_SECONDS)
    listeners = [StreamClient(server.ws_url, classroom.name) for _ in range(SOCKETS)]
    await connect_all(listeners, since=0)

    async def close_code_and_time(listener: StreamClient) -> tuple[int | None, float]:
        return await listener.wait_until_closed(), time.monotonic()

    watchers = asyncio.gather(*(close_code_and_time(listener) for listener in listeners))

    with HeldRoomLock(classroom.room_id):
        post, client_port = await asyncio.to_thread(
            start_post, server.port, classroom.name, classroom.student_tokens[0]
        )
        await asyncio.to_thread(wait_until, lambda: holds_connection_from(server.pid, client_port), timeout=10)
        signalled_at = time.monotonic()
        server.signal()
        closes = await watchers
        refused_while_draining = await asyncio.to_thread(refuses_connections, server.port)
        # Only now may the post go on: it was in flight through the whole drain.
    answer = await asyncio.to_thread(post.getresponse)
    status = answer.status
    message = json.loads(answer.read())["message"]
    post.close()
    exit_code = await asyncio.to_thread(server.wait, 20)

    assert exit_code == 0
    assert status == 201 and message["text"] == "sent just before the restart"
    assert refused_while_draining
    assert [code for code, _ in closes] == [CLOSE_SERVICE_RESTART] * SOCKETS
    offsets = sorted(closed - signalled_at for _, closed in closes)
    # Spread over the drain: not all at once, and all within it (plus slack for a loaded machine).
    assert offsets[-1] - offsets[0] >= DRAIN_SECONDS / 2
    assert offsets[-1] < DRAIN_SECONDS + 3


def queued_request(port: int) -> socket.socket:
    """Connect and send GET /healthz; the kernel completes the handshake whether or not anyone accepts."""
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    return client


def answer_status(client: socket.socket) -> str:
    try:
        with client, client.makefile("rb") as answer:
            status_line = answer.readline()
    except OSError as error:
        return type(error).__name__
    return status_line.split(b" ")[1].decode() if status_line else "closed without an answer"


def test_a_process_that_stops_on_a_handed_over_socket_leaves_everything_queued_to_the_next(transactional_db, tmp_path):
    # The socket is deploy/cluster's: opened outside the processes, which serve it with --fd.
    listener = listening_socket()
    environment = server_environment(REDIS_URL="", CHANNEL_LAYER_PREFIX="test")
    leaving = ServeProcess(listener=listener, env=environment, log_path=tmp_path / "leaving.log")
    coming = ServeProcess(listener=listener, env=environment, log_path=tmp_path / "coming.log")
    try:
        leaving.start()
        # Frozen, it accepts nothing: every connection from now on waits in the kernel's queue.
        leaving.signal(signal.SIGSTOP)
        clients = [queued_request(leaving.port) for _ in range(QUEUED_CONNECTIONS)]
        leaving.signal(signal.SIGTERM)
        leaving.signal(signal.SIGCONT)
        # It drains what it accepted on waking and exits, with most of the queue still waiting.
        exit_code = leaving.wait(timeout=30)
        coming.start()
        statuses = [answer_status(client) for client in clients]
    finally:
        leaving.stop()
        coming.stop()
        listener.close()

    assert exit_code == 0
    assert statuses == ["200"] * QUEUED_CONNECTIONS


def read_frame(connection: socket.socket) -> tuple[int, bytes]:
    """One unmasked frame from the server: its opcode and payload."""

    def exactly(count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = connection.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed mid-frame")
            data += chunk
        return data

    first, second = exactly(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(exactly(2), "big")
    elif length == 127:
        length = int.from_bytes(exactly(8), "big")
    return first & 0x0F, exactly(length)


def test_a_socket_closed_for_the_restart_ends_in_an_orderly_close_that_a_proxy_logs_no_error_for(
    start_servers, classroom
):
    (server,) = start_servers(1, redis=None, drain_seconds=0.1)
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    connection.sendall(
        f"GET /ws/rooms/{classroom.name}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 101")
    assert read_frame(connection)[0] == WEBSOCKET_TEXT

    server.signal()
    opcode, payload = read_frame(connection)
    # The client's answer, as a browser (or nginx, passing it on) sends it: masked, with the same code.
    mask = b"\x01\x02\x03\x04"
    connection.sendall(
        bytes([0x80 | WEBSOCKET_CLOSE, 0x80 | 2])
        + mask
        + bytes(a ^ b for a, b in zip(payload[:2], mask[:2], strict=True))
    )
    try:
        end = connection.recv(1)
    except ConnectionResetError:
        end = "reset"
    connection.close()

    assert (opcode, int.from_bytes(payload[:2], "big")) == (WEBSOCKET_CLOSE, CLOSE_SERVICE_RESTART)
    assert end == b""

"""`manage.py serve` refuses oversized bodies before reading them, and closes connections that stall."""

from __future__ import annotations

import asyncio
import select
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.clients import HttpApi, StreamClient
from tests.integration.rooms import Classroom, open_classroom
from tests.servers import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

UPLOAD_BYTES = 100 * 1024 * 1024
UPLOADS_AT_ONCE = 5
SEND_CHUNK = b"x" * (64 * 1024)
# One 100 MB body held in memory would be twenty times this.
MEMORY_GROWTH_BUDGET_KIB = 5 * 1024
# The answer comes as soon as the headers are in; generous for a loaded machine.
PROMPT_ANSWER_SECONDS = 3
SLOW_CLIENTS = 300
# The shortest deadline the setting takes, so the test waits little.
SHORT_TIMEOUT_SECONDS = 1
# Every stalled connection is closed within the deadline, plus scheduling.
CLOSED_WITHIN_SECONDS = 15


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_answer(client: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    return received


def upload(port: int, head: bytes, body_chunk: bytes) -> tuple[bytes, int, float]:
    """Send `head`, then `body_chunk` over and over (up to UPLOAD_BYTES) while watching for an answer.

    Returns the answer's status line, how many body bytes were sent before
    it came, and how long after the headers it came.
    """
    with connect(port) as client:
        client.sendall(head)
        started = time.monotonic()
        client.setblocking(False)
        sent = 0
        received = b""
        while b"\r\n" not in received and time.monotonic() - started < 60:
            want_write = [client] if sent < UPLOAD_BYTES else []
            readable, writable, _ = select.select([client], want_write, [], 1)
            if readable:
                chunk = client.recv(65536)
                if not chunk:
                    break
                received += chunk
            elif writable:
                try:
                    sent += client.send(body_chunk)
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    continue
        return received.split(b"\r\n", 1)[0], sent, time.monotonic() - started


def post_head(path: str, *, length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{framing}\r\n\r\n").encode()


def closed_by_server(client: socket.socket) -> bool:
    """Whether the server has closed `client`; reads (and drops) whatever it answered first."""
    try:
        while client.recv(65536, socket.MSG_DONTWAIT):
            continue
    except BlockingIOError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_a_body_declared_too_large_is_answered_413_before_it_is_read(start_servers):
    (server,) = start_servers(1, redis=None)

    with connect(server.port) as client:
        client.sendall(post_head("/api/tokens", length=UPLOAD_BYTES))
        answer = read_answer(client)

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"code": "too_large"' in answer


def test_five_100_mb_uploads_at_once_are_refused_without_the_server_growing(start_servers):
    (server,) = start_servers(1, redis=None)
    assert HttpApi(server.http_url).request("GET", "/api/rooms/warm-up")[0] == 404
    baseline_kib = server.rss_kib()

    heads = [post_head("/api/tokens", length=UPLOAD_BYTES), post_head("/accounts/login/", length=UPLOAD_BYTES)]
    with ThreadPoolExecutor(UPLOADS_AT_ONCE) as pool:
        results = list(
            pool.map(lambda index: upload(server.port, heads[index % 2], SEND_CHUNK), range(UPLOADS_AT_ONCE))
        )
    growth_kib = server.rss_kib() - baseline_kib

    print(f"rss grew {growth_kib} KiB from {baseline_kib} KiB; answers {results}")
    for status_line, sent, seconds in results:
        assert status_line.startswith(b"HTTP/1.1 413 ")
        assert sent < UPLOAD_BYTES
        assert seconds < PROMPT_ANSWER_SECONDS
    assert growth_kib < MEMORY_GROWTH_BUDGET_KIB


def test_a_chunked_body_is_cut_off_at_the_limit(start_servers):
    (server,) = start_servers(1, redis=None)
    chunk = b"%x\r\n%s\r\n" % (len(SEND_CHUNK), SEND_CHUNK)

    status_line, sent, seconds = upload(server.port, post_head("/api/tokens", length=None), chunk)

    assert status_line.startswith(b"HTTP/1.1 413 ")
    assert sent < UPLOAD_BYTES
    assert seconds < PROMPT_ANSWER_SECONDS


def test_a_body_within_the_limit_still_reaches_the_application(start_servers):
    (server,) = start_servers(1, redis=None)

    status, body = HttpApi(server.http_url).request("POST", "/api/tokens", {"email": "a@b.example", "password": "x"})

    assert status == 401
    assert body["error"]["code"] == "invalid_credentials"


def test_a_body_that_stops_arriving_is_closed(start_servers):
    (server,) = start_servers(1, redis=None, HTTP_BODY_TIMEOUT_SECONDS=str(SHORT_TIMEOUT_SECONDS))

    with connect(server.port) as client:
        client.sendall(post_head("/api/tokens", length=100) + b'{"email": ')
        started = time.monotonic()
        answer = read_answer(client)

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < CLOSED_WITHIN_SECONDS


def test_pipelined_requests_on_one_connection_are_all_answered(start_servers):
    (server,) = start_servers(1, redis=None, HTTP_HEADER_TIMEOUT_SECONDS=str(SHORT_TIMEOUT_SECONDS))
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    with connect(server.port) as client:
        client.sendall(request + request + request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        answer = read_answer(client)

    assert answer.count(b"HTTP/1.1 200 OK") == 3


@pytest.fixture
def classroom(owner, make_participant) -> Classroom:
    return open_classroom(owner, make_participant, name="loris", students=1)


async def test_hundreds_of_slow_header_senders_are_closed_and_open_websockets_are_not(start_servers, classroom):
    (server,) = await asyncio.to_thread(
        start_servers, 1, redis=None, HTTP_HEADER_TIMEOUT_SECONDS=str(SHORT_TIMEOUT_SECONDS)
    )
    listener = await StreamClient(server.ws_url, classroom.name).connect(since=0)
    await listener.wait_for_hello()
    slow = [connect(server.port) for _ in range(SLOW_CLIENTS)]
    for client in slow:
        client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")

    def all_closed_while_trickling() -> bool:
        # Each still-open connection sends one more header byte, which would
        # reset an idle timeout forever.
        still_open = [client for client in slow if not closed_by_server(client)]
        for client in still_open:
            try:
                client.send(b"X")
            except OSError:
                continue
        return not still_open

    started = time.monotonic()
    await asyncio.to_thread(
        wait_until,
        all_closed_while_trickling,
        timeout=CLOSED_WITHIN_SECONDS,
        interval=0.2,
        message="connections with unfinished headers were left open",
    )
    closed_after = time.monotonic() - started
    for client in slow:
        client.close()
    api = HttpApi(server.http_url)
    posted = await asyncio.to_thread(api.post_message, classroom.name, "still here", token=classroom.student_tokens[0])
    await listener.wait_for_position(1)
    await listener.close()

    print(f"{SLOW_CLIENTS} slow clients closed after {closed_after:.1f}s")
    assert listener.connections == 1
    assert listener.visible_messages() == {posted["id"]: "still here"}


def test_an_idle_connection_is_closed_quietly_and_a_kept_alive_one_too(start_servers):
    (server,) = start_servers(1, redis=None, HTTP_HEADER_TIMEOUT_SECONDS=str(SHORT_TIMEOUT_SECONDS))

    with connect(server.port) as silent, connect(server.port) as kept_alive:
        kept_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        silent_answer = read_answer(silent)
        kept_alive_answer = read_answer(kept_alive)

    assert silent_answer == b""
    assert kept_alive_answer.count(b"HTTP/1.1 ") == 1
    assert kept_alive_answer.startswith(b"HTTP/1.1 200 OK")

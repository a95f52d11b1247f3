"""Only pages on our own hosts, or clients that are not browsers, may listen."""

from __future__ import annotations

import pytest

from streaming.tests.sockets import FRAME_TIMEOUT, Listener, room_path

pytestmark = pytest.mark.django_db(transaction=True)


def origin_headers(origin: str) -> list[tuple[bytes, bytes]]:
    return [(b"host", b"localhost:8000"), (b"origin", origin.encode("latin-1"))]


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "https://localhost.evil.example",
        "http://evil.example:8000",
        "null",
        "file://",
        "localhost",
    ],
)
async def test_a_foreign_origin_is_refused(room, origin):
    listener = Listener(room_path(room), headers=origin_headers(origin))

    connected, _ = await listener.communicator.connect(timeout=FRAME_TIMEOUT)

    assert not connected


@pytest.mark.parametrize("origin", ["http://localhost:8000", "https://LOCALHOST", "http://127.0.0.1:8000"])
async def test_a_page_on_an_allowed_host_connects(listen, room, origin):
    listener = await listen(room_path(room), headers=origin_headers(origin))

    assert (await listener.next_frame())["type"] == "hello"


async def test_a_client_without_an_origin_connects(listen, room):
    listener = await listen(room_path(room), headers=[(b"host", b"localhost:8000")])

    assert (await listener.next_frame())["type"] == "hello"


async def test_allowed_hosts_decide_which_origins_are_allowed(listen, settings, room):
    settings.ALLOWED_HOSTS = [".school.example"]

    refused = Listener(room_path(room), headers=origin_headers("http://localhost:8000"))
    connected, _ = await refused.communicator.connect(timeout=FRAME_TIMEOUT)
    listener = await listen(room_path(room), headers=origin_headers("https://meet.school.example"))

    assert not connected
    assert (await listener.next_frame())["type"] == "hello"

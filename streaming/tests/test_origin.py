"""Only pages of our own exact origin (scheme, host and port), or clients that are not browsers, may listen."""

from __future__ import annotations

import pytest

from streaming.tests.sockets import FRAME_TIMEOUT, Listener, room_path

pytestmark = pytest.mark.django_db(transaction=True)


def handshake_headers(origin: str, *, host: str = "localhost:8000", **extra: str) -> list[tuple[bytes, bytes]]:
    headers = [(b"host", host.encode("latin-1")), (b"origin", origin.encode("latin-1"))]
    return headers + [(name.encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()]


async def refused(room, headers) -> bool:
    connected, _ = await Listener(room_path(room), headers=headers).communicator.connect(timeout=FRAME_TIMEOUT)
    return not connected


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "https://localhost.evil.example",
        "http://evil.example:8000",
        "null",
        "file://",
        "localhost",
        # Our host, but another origin: any page on another port, or the
        # other scheme, may be someone else's.
        "http://localhost:9999",
        "http://localhost",
        "https://localhost:8000",
        "https://localhost",
        "http://127.0.0.1:8000",
    ],
)
async def test_a_page_of_another_origin_is_refused(room, origin):
    assert await refused(room, handshake_headers(origin))


@pytest.mark.parametrize("origin", ["http://localhost:8000", "http://LOCALHOST:8000", "http://localhost:8000/"])
async def test_a_page_of_the_sockets_own_origin_connects(listen, room, origin):
    listener = await listen(room_path(room), headers=handshake_headers(origin))

    assert (await listener.next_frame())["type"] == "hello"


async def test_the_default_port_is_the_same_origin(listen, room):
    listener = await listen(room_path(room), headers=handshake_headers("http://localhost", host="localhost:80"))

    assert (await listener.next_frame())["type"] == "hello"


async def test_a_client_without_an_origin_connects(listen, room):
    listener = await listen(room_path(room), headers=[(b"host", b"localhost:8000")])

    assert (await listener.next_frame())["type"] == "hello"


async def test_a_host_we_do_not_serve_has_no_own_origin(room, settings):
    settings.ALLOWED_HOSTS = [".school.example"]

    assert await refused(room, handshake_headers("http://localhost:8000"))


async def test_behind_the_proxy_the_scheme_comes_from_its_header(listen, room, settings):
    settings.ALLOWED_HOSTS = ["meet.school.example"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    behind_tls = {"host": "meet.school.example", "x-forwarded-proto": "https"}

    listener = await listen(room_path(room), headers=handshake_headers("https://meet.school.example", **behind_tls))

    assert (await listener.next_frame())["type"] == "hello"
    assert await refused(room, handshake_headers("http://meet.school.example", **behind_tls))


async def test_behind_the_proxy_room_urls_in_frames_have_the_scheme_and_port_the_page_used(listen, room, settings):
    settings.ALLOWED_HOSTS = ["meet.school.example"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    behind_tls = {"host": "meet.school.example:8443", "x-forwarded-proto": "https"}

    listener = await listen(
        room_path(room), headers=handshake_headers("https://meet.school.example:8443", **behind_tls)
    )

    assert (await listener.next_frame())["room"]["url"] == f"https://meet.school.example:8443/{room.name}/"


async def test_a_trusted_origin_connects_and_a_wildcard_covers_subdomains(listen, room, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://meet.example.org", "https://*.school.example"]

    exact = await listen(room_path(room), headers=handshake_headers("https://meet.example.org"))
    subdomain = await listen(room_path(room), headers=handshake_headers("https://class.school.example"))

    assert (await exact.next_frame())["type"] == "hello"
    assert (await subdomain.next_frame())["type"] == "hello"
    assert await refused(room, handshake_headers("http://meet.example.org"))
    assert await refused(room, handshake_headers("http://class.school.example"))

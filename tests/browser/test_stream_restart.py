"""How the room page comes back after its stream is closed: at once for a restart, after a backoff otherwise."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser.people import expect_live, join

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLOSE_SERVICE_RESTART = 1012
CLOSE_INTERNAL_ERROR = 1011
# With Math.random() pinned here, a backed-off first retry waits 0.99 of 500 ms.
JITTER = 0.99
BACKED_OFF_MS = 495


def streamed_page(open_page) -> tuple[Page, list[WebSocketRoute]]:
    """A joined room page on a clock the test moves, whose sockets pass through the test to the real server."""
    sockets: list[WebSocketRoute] = []

    def relay(socket: WebSocketRoute) -> None:
        socket.connect_to_server()
        sockets.append(socket)

    def prepare(page: Page) -> None:
        page.clock.install()
        page.add_init_script(f"Math.random = () => {JITTER};")
        page.route_web_socket(re.compile(r"/ws/rooms/"), relay)

    page = open_page("/biology/", prepare=prepare)
    join(page, "sam")
    expect_live(page)
    # From here on no timer fires unless the test moves the clock.
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    return page, sockets


def scroller(page: Page):
    return page.get_by_test_id("scroller")


def test_a_stream_closed_for_a_restart_reconnects_at_once(open_page, room):
    page, sockets = streamed_page(open_page)
    opened = len(sockets)

    sockets[-1].close(code=CLOSE_SERVICE_RESTART)
    expect(scroller(page)).to_have_attribute("data-stream", "reconnecting")
    page.clock.run_for(1)

    expect(scroller(page)).to_have_attribute("data-stream", "live")
    assert len(sockets) == opened + 1


def test_a_stream_closed_otherwise_backs_off_before_reconnecting(open_page, room):
    page, sockets = streamed_page(open_page)
    opened = len(sockets)

    sockets[-1].close(code=CLOSE_INTERNAL_ERROR)
    expect(scroller(page)).to_have_attribute("data-stream", "reconnecting")
    page.clock.run_for(BACKED_OFF_MS - 10)
    expect(scroller(page)).to_have_attribute("data-stream", "reconnecting")
    assert len(sockets) == opened

    page.clock.run_for(20)
    expect(scroller(page)).to_have_attribute("data-stream", "live")
    assert len(sockets) == opened + 1

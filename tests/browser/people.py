"""What a person does in a browser page, in the words of the tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Locator, Page, Route, expect

PASSWORD = "a long enough passphrase"


def log_in(page: Page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-form").get_by_role("button", name="Log in").click()


def join(page: Page, nickname: str) -> None:
    page.get_by_test_id("nickname").fill(nickname)
    page.get_by_test_id("join").click()
    expect(page.get_by_test_id("composer")).to_be_visible()
    expect(page.get_by_test_id("my-nickname")).to_have_text(nickname)


def post(page: Page, text: str) -> None:
    page.get_by_test_id("composer-text").fill(text)
    page.get_by_test_id("composer-text").press("Enter")


def message_with(page: Page, text: str) -> Locator:
    return page.get_by_test_id("message").filter(has=page.get_by_test_id("message-text").get_by_text(text, exact=True))


def texts(page: Page) -> Locator:
    return page.get_by_test_id("message-text")


def expect_live(page: Page) -> None:
    expect(page.get_by_test_id("scroller")).to_have_attribute("data-stream", "live")


def participant_page(open_page, nickname: str, path: str = "/biology/") -> Page:
    """A student's own browser on the room, joined and live."""
    page = open_page(path)
    join(page, nickname)
    expect_live(page)
    return page


def overloaded_once(sent_at: list[float]) -> Callable[[Route], None]:
    """A route handler: the first request is refused 503 overloaded (Retry-After: 1), later ones go through.

    `sent_at` collects when each request left the page, to check the wait.
    """

    def handle(route: Route) -> None:
        sent_at.append(time.monotonic())
        if len(sent_at) == 1:
            body = {"error": {"code": "overloaded", "message": "The server is busy.", "retry_after": 1}}
            route.fulfill(status=503, headers={"Retry-After": "1"}, json=body)
        else:
            route.continue_()

    return handle

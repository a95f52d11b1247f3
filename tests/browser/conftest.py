"""Browser fixtures: one Chromium per module, a real Daphne per test, a page per person."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.integration.clients import HttpApi
from tests.servers import DaphneProcess, server_environment

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
# Nothing in a test run may talk to anything but the server under test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXPECT_TIMEOUT_MS = 10_000
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def browser():
    # The root conftest already refuses to start under CI without a browser;
    # this keeps a developer's machine without one usable.
    if not shutil.which(CHROMIUM):
        if IN_CI:
            pytest.fail(f"CI=true needs a browser at {CHROMIUM}.")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package or set CHROMIUM_PATH")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    # Module scope, not session: Playwright's sync API keeps its own event
    # loop, which must be gone before the async tests of other packages run.
    # Between calls Playwright marks that loop as running on the main thread,
    # so Django would take every plain ORM call in a test (and pytest-django's
    # flush) for one made from async code. They are still synchronous calls on
    # the main thread, which is safe; the server process keeps the guard.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv(ASYNC_UNSAFE, "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class LiveServer(DaphneProcess):
    """A Daphne serving the test database, which a test may stop and start again on the same port."""

    @property
    def url(self) -> str:
        return self.http_url

    def api(self, method: str, path: str, data: Any = None, *, token: str | None = None) -> tuple[int, Any]:
        """Call the JSON API as an outside client would: (status, parsed body)."""
        return HttpApi(self.http_url).request(method, path, data, token=token)


@pytest.fixture
def server_env() -> dict[str, str]:
    """Extra environment for the server; a test overrides it with parametrize("server_env", ...)."""
    return {}


@pytest.fixture
def server(transactional_db, tmp_path, server_env) -> Iterator[LiveServer]:
    live = LiveServer(log_path=tmp_path / "daphne.log", env=server_environment(**server_env))
    try:
        # stop() ends the process even if it never answers.
        live.start()
        yield live
    finally:
        live.stop()


# Runs before any script of every page: tells the test of anything the
# Content-Security-Policy blocked.
CSP_VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline code"}`);
}, true);
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """What the Content-Security-Policy blocked in any page the test opened; it must stay empty."""
    return []


@pytest.fixture
def open_page(browser, server, csp_violations) -> Iterator[Callable[..., Any]]:
    """Open `path` in a fresh browser context: its own cookies, as a separate person would have."""
    contexts = []
    page_errors: list[str] = []

    def report_violation(source: dict[str, Any], description: str) -> None:
        csp_violations.append(f"{source['frame'].url}: {description}")

    def open_page(path: str = "/", *, prepare: Callable[[Any], None] | None = None):
        context = browser.new_context(base_url=server.url)
        contexts.append(context)
        context.expose_binding("reportCspViolation", report_violation)
        context.add_init_script(CSP_VIOLATION_LISTENER)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        if prepare is not None:
            prepare(page)
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not page_errors, f"uncaught errors in the page: {page_errors}"
    assert not csp_violations, f"the Content-Security-Policy blocked: {csp_violations}"

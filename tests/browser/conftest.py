"""Browser fixtures: one Chromium per module, a real Daphne per test, a page per person."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser.people import expect_live, log_in
from tests.integration.clients import HttpApi
from tests.servers import DaphneProcess, server_environment, wait_until

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

    def emailed_paths(self, to: str) -> list[str]:
        """The paths of the links in the emails the server sent to `to`, oldest first.

        Development settings print email to the console, which is this server's log.
        """
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        paths = []
        for email in log.split("-" * 79):
            if re.search(rf"^To: {re.escape(to)}$", email, re.MULTILINE):
                paths += re.findall(r"https?://[^/\s]+(/\S*)", email)
        return paths

    def emailed_link(self, to: str, prefix: str) -> str:
        """The path of the newest link starting with `prefix` emailed to `to`, once it has been sent."""
        found: list[str] = []

        def arrived() -> bool:
            found[:] = [path for path in self.emailed_paths(to) if path.startswith(prefix)]
            return bool(found)

        wait_until(arrived, timeout=10, message=f"no email to {to} with a {prefix} link")
        return found[-1]


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

    def open_page(
        path: str = "/", *, prepare: Callable[[Any], None] | None = None, locale: str = "en-US", **context_options: Any
    ):
        # English unless a test asks otherwise: the assertions read English
        # text, whatever language the machine running them is set to.
        # context_options: Playwright's, e.g. viewport, color_scheme, reduced_motion.
        context = browser.new_context(base_url=server.url, locale=locale, **context_options)
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


@pytest.fixture
def teacher_page(open_page):
    """Open a room (or another path) as a teacher signed in through the login page."""
    from playwright.sync_api import expect

    def open_as(email: str = "owner@school.example", path: str = "/biology/", *, prepare=None, **context_options):
        page = open_page(f"/accounts/login/?next={path}", prepare=prepare, **context_options)
        log_in(page, email)
        expect(page).to_have_url(re.compile(f"{re.escape(path)}$"))
        if path.endswith("/biology/"):
            expect_live(page)
        return page

    return open_as

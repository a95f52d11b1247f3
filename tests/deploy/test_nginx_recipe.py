"""deploy/README.md's recipe, run as an operator would: nginx in front of deploy/cluster, then a deploy under load.

nginx serves deploy/nginx.conf changed in its [adjust] lines only, on free
loopback ports (not 80 and 443: the recipe must work on any port), with a
self-signed certificate made as the README shows. Behind it deploy/cluster
runs two processes with production settings over PostgreSQL and Redis.
While a Chromium page posts from the composer, listeners roam, students
post over the API and newcomers join, all through nginx, deploy/rolling-
restart replaces both processes. No one may see a 5xx or need a retry,
nothing may be lost or doubled, the page never shows "Not sent", and
nginx's error log stays free of errors.

The README's steps and where they run here: settings (`recipe_settings`);
migrate, collectstatic, check --deploy (`prepare_release`); deploy/cluster
with the README's arguments (`start_cluster`); the certificate and the site
file (`NginxProcess`, tests/servers.py); deploy/rolling-restart (the test).
The Debian packages, the user and the systemd unit are the machine's, and
the certificate from Let's Encrypt is a real site's.
"""

from __future__ import annotations

import asyncio
import http.client
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Coroutine
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from rooms.models import Message, Room
from streaming.close_codes import CLOSE_SERVICE_RESTART
from tests.browser.people import expect_live, join, message_with, post
from tests.integration.clients import HttpApi
from tests.integration.roaming import RoamingListener, RoamingPoster
from tests.integration.rooms import Classroom, open_classroom
from tests.servers import REPO_ROOT, NginxProcess, nginx_path, server_environment

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTENERS = 20
STUDENTS = 3
POST_INTERVAL_SECONDS = 0.2
JOIN_INTERVAL_SECONDS = 1.0
# Posts the page makes before the restart starts, and after it ended.
PAGE_POSTS_AROUND_THE_RESTART = 3
CONFIRM_TIMEOUT_MS = 20_000

# Records each change of the page's stream state, to time "Reconnecting…".
STREAM_STATE_RECORDER = """
window.streamStates = [];
document.addEventListener("DOMContentLoaded", () => {
  const scroller = document.getElementById("scroller");
  new MutationObserver(() => window.streamStates.push([scroller.dataset.stream, performance.now()]))
    .observe(scroller, { attributes: true, attributeFilter: ["data-stream"] });
});
"""


@pytest.fixture
def nginx_installed() -> None:
    if nginx_path() is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")


@pytest.fixture
def recipe_settings(tmp_path) -> dict[str, str]:
    """/etc/todaysmeet.env of deploy/README.md, for this machine; the post rate is the load's, not the recipe's."""
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CLIENT_ADDRESS_HEADER": "X-Real-IP",
        "STATIC_ROOT": str(tmp_path / "static"),
        "POST_RATE_BURST": "100000",
        "POST_RATE_PER_MINUTE": "100000",
    }


def prepare_release(settings: dict[str, str]) -> None:
    """The README's release steps before a restart: migrate, collect the static files, check the settings."""
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["check", "--deploy", "--fail-level", "WARNING"],
    ):
        step = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=REPO_ROOT,
            env=server_environment(**settings),
            capture_output=True,
            text=True,
            check=False,
        )
        assert step.returncode == 0, f"manage.py {' '.join(command)}:\n{step.stdout}{step.stderr}"


@pytest.fixture
def classroom(owner, make_participant) -> Classroom:
    return open_classroom(owner, make_participant, name="deploy", students=STUDENTS)


class LoopThread:
    """An event loop in a thread of its own, for the asyncio clients beside Playwright's synchronous page."""

    def __enter__(self) -> LoopThread:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        return self

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def __exit__(self, *exc_info) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def start_listeners(endpoint: NginxProcess, room: str) -> list[RoamingListener]:
    listeners = [RoamingListener([endpoint], room, seed=index).start() for index in range(LISTENERS)]
    for listener in listeners:
        await listener.wait_until_connected()
    return listeners


async def stop_listeners(listeners: list[RoamingListener], head: int) -> None:
    for listener in listeners:
        await listener.wait_for_position(head)
        await listener.stop()


def longest_reconnecting_seconds(states: list[list]) -> float:
    """The longest the page showed "Reconnecting…", from its recorded stream states."""
    longest, since = 0.0, None
    for state, at in states:
        if state == "reconnecting" and since is None:
            since = at
        elif state == "live" and since is not None:
            longest, since = max(longest, at - since), None
    return longest / 1000


class PagePoster:
    """A person posting from the composer, each post once the last one shows as sent."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.texts: list[str] = []

    def post_and_wait(self) -> None:
        text = f"chromium says {len(self.texts)}"
        self.texts.append(text)
        post(self.page, text)
        expect(message_with(self.page, text)).to_have_attribute("data-state", "confirmed", timeout=CONFIRM_TIMEOUT_MS)


def test_a_rolling_restart_behind_nginx_shows_no_one_an_error_and_loses_nothing(
    nginx_installed, browser, private_redis, start_cluster, recipe_settings, classroom, tmp_path, monkeypatch
):
    prepare_release(recipe_settings)
    # The README's deploy/cluster line: no arguments for `manage.py serve` beyond its defaults.
    cluster = start_cluster(2, redis=private_redis, serve_arguments=(), **recipe_settings)
    nginx = NginxProcess(
        prefix=tmp_path / "nginx", upstream_ports=cluster.ports, static_root=tmp_path / "static"
    ).start()
    # The clients in this process trust the self-signed certificate, as a browser told to would.
    monkeypatch.setenv("SSL_CERT_FILE", str(nginx.certificate))
    redirect = http.client.HTTPConnection("127.0.0.1", nginx.plain_port, timeout=10)
    redirect.request("GET", f"/{classroom.name}/")
    plain_answer = redirect.getresponse()

    context = browser.new_context(base_url=nginx.http_url, ignore_https_errors=True)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page_server_errors: list[str] = []
    page.on(
        "response", lambda answer: answer.status >= 500 and page_server_errors.append(f"{answer.status} {answer.url}")
    )
    page.add_init_script(STREAM_STATE_RECORDER)
    page.goto(f"/{classroom.name}/")
    join(page, "chromium")
    expect_live(page)
    chromium = PagePoster(page)

    students = [
        RoamingPoster([nginx], classroom.name, token=token, seed=100 + index)
        for index, token in enumerate(classroom.student_tokens)
    ]
    join_statuses: Counter[int] = Counter()
    stop = threading.Event()

    def keep_posting(student: RoamingPoster, label: str) -> None:
        number = 0
        while not stop.wait(POST_INTERVAL_SECONDS):
            student.post(f"{label} says {number}")
            number += 1

    def keep_joining() -> None:
        newcomers = HttpApi(nginx.http_url)
        number = 0
        while not stop.wait(JOIN_INTERVAL_SECONDS):
            status, _ = newcomers.request(
                "POST", f"/api/rooms/{classroom.name}/join", {"nickname": f"newcomer {number}"}
            )
            join_statuses[status] += 1
            number += 1

    with LoopThread() as loop:
        listeners = loop.run(start_listeners(nginx, classroom.name))
        traffic = [
            threading.Thread(target=keep_posting, args=(student, f"student {index}"))
            for index, student in enumerate(students)
        ] + [threading.Thread(target=keep_joining)]
        for thread in traffic:
            thread.start()
        try:
            for _ in range(PAGE_POSTS_AROUND_THE_RESTART):
                chromium.post_and_wait()
            pids_before = cluster.pids()
            restart: dict[str, Any] = {}
            restarting = threading.Thread(
                target=lambda: restart.update(result=cluster.rolling_restart(), ended=time.monotonic())
            )
            started = time.monotonic()
            restarting.start()
            while restarting.is_alive():
                chromium.post_and_wait()
            for _ in range(PAGE_POSTS_AROUND_THE_RESTART):
                chromium.post_and_wait()
        finally:
            stop.set()
            for thread in traffic:
                thread.join(60)
        head = Room.objects.get(pk=classroom.room_id).seq
        loop.run(stop_listeners(listeners, head))
    expect(page.get_by_test_id("messages")).to_have_attribute("data-last-seq", str(head))
    shown_on_page = {
        int(id_)
        for id_ in page.locator("[data-testid=message][data-id]").evaluate_all(
            "items => items.map((item) => item.dataset.id)"
        )
    }
    failed_on_page = page.locator("[data-testid=message][data-state=failed]").count()
    reconnecting = longest_reconnecting_seconds(page.evaluate("window.streamStates"))
    context.close()
    nginx.stop()

    stored = dict(Message.objects.filter(room_id=classroom.room_id).values_list("id", "text"))
    posted = [message for student in students for message in student.acknowledged]
    served = Counter(nginx.statuses_served())
    alerting = nginx.alerting_log_lines()
    result = restart["result"]
    print(
        f"rolling restart took {restart['ended'] - started:.1f}s; {len(posted)} API posts, {len(chromium.texts)} "
        f"page posts, {join_statuses.total()} joins; nginx answered {dict(served)}; 'Reconnecting…' at most "
        f"{reconnecting:.2f}s; {len(alerting)} error-log lines at error level; close codes "
        f"{dict(Counter(code for listener in listeners for code in listener.close_codes))}"
    )

    # The recipe as written, on ports that are not 80 and 443.
    assert plain_answer.status == 301
    assert plain_answer.getheader("Location") == f"{nginx.http_url}/{classroom.name}/"
    assert not page_errors
    # The deploy.
    assert result.returncode == 0, result.stderr
    assert all(cluster.pids()[port] not in (None, pids_before[port]) for port in cluster.ports)
    # Nobody saw an error, and nothing had to be tried again.
    assert not [status for status in served if status >= 500], served
    assert page_server_errors == []
    assert failed_on_page == 0
    assert [student.retries for student in students] == [0] * STUDENTS
    assert set(join_statuses) == {201}, join_statuses
    for listener in listeners:
        # Closed only by a draining process, and every reconnect opened.
        assert set(listener.close_codes) <= {CLOSE_SERVICE_RESTART}, listener.close_codes
    assert alerting == []
    # Nothing lost or doubled: every listener and the page hold exactly what was stored.
    page_texts = set(chromium.texts)
    assert sorted(text for text in stored.values() if text in page_texts) == sorted(page_texts)
    assert len(stored) == len(posted) + len(chromium.texts)
    assert {message["id"]: message["text"] for message in posted}.items() <= stored.items()
    assert shown_on_page == set(stored)
    for listener in listeners:
        assert listener.event_seqs == list(range(1, head + 1))
        assert (listener.duplicate_frames, listener.resets) == (0, 0)
        assert listener.visible_messages() == stored

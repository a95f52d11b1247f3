"""deploy/README.md's recipe, run as an operator would: nginx in front of deploy/cluster, then deploys under load.

nginx serves deploy/nginx.conf changed in its [adjust] lines only, on free
loopback ports (not 80 and 443: the recipe must work on any port), with a
self-signed certificate made as the README shows. Behind it deploy/cluster
runs two processes with production settings over PostgreSQL and Redis.
While Chromium pages post from the composer, listeners roam, students post
over the API and newcomers join, all through nginx, deploy/rolling-restart
replaces both processes. No one may see a 5xx or need a retry, nothing may
be lost or doubled, no page ever shows "Not sent", and nginx's error log
stays free of errors.

CI runs the light load. DEPLOY_RECIPE_LOAD=heavy runs issue 15's heavy one
(300 listeners, 60 posters, joins) through ten deploys in a row; see
bench/deploy-soak.

The README's steps and where they run here: its settings
(`recipe_settings`); migrate, collectstatic, check --deploy
(`prepare_release`); deploy/cluster with the README's arguments
(`start_cluster`); the certificate and the site file (`NginxProcess` in
tests/servers.py); deploy/rolling-restart (the test). The Debian packages,
the user and the systemd unit are the machine's, and a certificate from
Let's Encrypt is a real site's.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
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


@dataclass(frozen=True)
class Load:
    rooms: int
    listeners_per_room: int
    students_per_room: int
    post_interval_seconds: float
    join_interval_seconds: float
    pages: int
    deploys: int


LOADS = {
    # Every CI run: one deploy, in a minute or less.
    "light": Load(
        rooms=2,
        listeners_per_room=10,
        students_per_room=2,
        post_interval_seconds=0.25,
        join_interval_seconds=1.0,
        pages=1,
        deploys=1,
    ),
    # Issue 15's heavy load, deployed ten times in a row.
    "heavy": Load(
        rooms=10,
        listeners_per_room=30,
        students_per_room=6,
        post_interval_seconds=1.0,
        join_interval_seconds=1.0,
        pages=2,
        deploys=10,
    ),
}
LOAD = LOADS[os.environ.get("DEPLOY_RECIPE_LOAD", "light")]
# Posts each page makes before the first deploy starts, and after the last ended.
PAGE_POSTS_AROUND_THE_DEPLOYS = 3
CONFIRM_TIMEOUT_MS = 20_000
LISTENER_TIMEOUT_SECONDS = 120

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
def start_nginx(tmp_path) -> Iterator[Callable[..., NginxProcess]]:
    """Start nginx with the recipe in front of `upstream_ports`; it is stopped at the end. Skips without nginx."""
    if nginx_path() is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    started: list[NginxProcess] = []

    def start(*, upstream_ports: list[int], static_root: Path) -> NginxProcess:
        nginx = NginxProcess(prefix=tmp_path / "nginx", upstream_ports=upstream_ports, static_root=static_root)
        started.append(nginx)
        return nginx.start()

    yield start
    for nginx in started:
        nginx.stop()


# Students post as fast as the load wants, not as fast as the product allows;
# and all of them, from behind nginx, from one address (127.0.0.1), whose
# shared budget in a room a deploy of 20 s drains would otherwise exhaust.
LOAD_SETTINGS = {
    "POST_RATE_BURST": "100000",
    "POST_RATE_PER_MINUTE": "100000",
    "ADDRESS_POST_RATE_BURST": "100000",
    "ADDRESS_POST_RATE_PER_MINUTE": "100000",
}


@pytest.fixture
def recipe_settings(tmp_path) -> dict[str, str]:
    """/etc/todaysmeet.env of deploy/README.md, for this machine (the database and Redis are the test's)."""
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CLIENT_ADDRESS_HEADER": "X-Real-IP",
        "STATIC_ROOT": str(tmp_path / "static"),
    }


def readme_settings() -> set[str]:
    """The variables deploy/README.md puts in /etc/todaysmeet.env."""
    readme = (REPO_ROOT / "deploy" / "README.md").read_text()
    block = readme.split("`/etc/todaysmeet.env`", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return {line.split("=", 1)[0].strip() for line in block.splitlines() if "=" in line}


def test_the_recipe_is_run_with_the_settings_of_the_readme(recipe_settings):
    assert readme_settings() == {*recipe_settings, "DATABASE_URL", "REDIS_URL"}


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
def classrooms(owner, make_participant) -> list[Classroom]:
    return [
        open_classroom(owner, make_participant, name=f"deploy-{index}", students=LOAD.students_per_room)
        for index in range(LOAD.rooms)
    ]


class LoopThread:
    """An event loop in a thread of its own, for the asyncio clients beside Playwright's synchronous pages."""

    def __enter__(self) -> LoopThread:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        return self

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = LISTENER_TIMEOUT_SECONDS) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def __exit__(self, *exc_info) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class RoomTraffic:
    """Everyone in one room but the pages: its listeners and its posting students."""

    classroom: Classroom
    students: list[RoamingPoster]
    listeners: list[RoamingListener] = field(default_factory=list)

    async def start_listening(self, nginx: NginxProcess, *, seed: int) -> None:
        self.listeners = [
            RoamingListener([nginx], self.classroom.name, seed=seed + index).start()
            for index in range(LOAD.listeners_per_room)
        ]
        for listener in self.listeners:
            await listener.wait_until_connected()

    async def stop_listening(self, head: int) -> None:
        for listener in self.listeners:
            await listener.wait_for_position(head, timeout=LISTENER_TIMEOUT_SECONDS)
            await listener.stop()


class PagePoster:
    """A person posting from a room page's composer, each post once the last one shows as sent."""

    def __init__(self, page: Page, *, room: str, nickname: str) -> None:
        self.page = page
        self.room = room
        self.nickname = nickname
        self.texts: list[str] = []
        self.server_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("response", lambda answer: answer.status >= 500 and self.server_errors.append(answer.url))
        page.add_init_script(STREAM_STATE_RECORDER)

    def open(self) -> None:
        self.page.goto(f"/{self.room}/")
        join(self.page, self.nickname)
        expect_live(self.page)

    def room_url(self) -> str | None:
        return self.page.get_by_test_id("room-url").text_content()

    def post_and_wait(self) -> None:
        text = f"{self.nickname} says {len(self.texts)}"
        self.texts.append(text)
        post(self.page, text)
        expect(message_with(self.page, text)).to_have_attribute("data-state", "confirmed", timeout=CONFIRM_TIMEOUT_MS)

    def shown_message_ids(self) -> set[int]:
        ids = self.page.locator("[data-testid=message][data-id]").evaluate_all(
            "rows => rows.map((row) => row.dataset.id)"
        )
        return {int(id_) for id_ in ids}

    def longest_reconnecting_seconds(self) -> float:
        """The longest "Reconnecting…" lasted on this page."""
        longest, since = 0.0, None
        for state, at in self.page.evaluate("window.streamStates"):
            if state == "reconnecting" and since is None:
                since = at
            elif state == "live" and since is not None:
                longest, since = max(longest, at - since), None
        return longest / 1000


def test_deploys_behind_nginx_show_no_one_an_error_and_lose_nothing(
    start_nginx, browser, private_redis, start_cluster, recipe_settings, classrooms, monkeypatch
):
    prepare_release(recipe_settings)
    # The README's deploy/cluster line: no arguments for `manage.py serve` beyond its defaults.
    cluster = start_cluster(2, redis=private_redis, drain_seconds=None, **recipe_settings, **LOAD_SETTINGS)
    nginx = start_nginx(upstream_ports=cluster.ports, static_root=Path(recipe_settings["STATIC_ROOT"]))
    # The clients in this process trust the self-signed certificate, as a browser told to would.
    monkeypatch.setenv("SSL_CERT_FILE", str(nginx.certificate))
    plain = http.client.HTTPConnection("127.0.0.1", nginx.plain_port, timeout=10)
    plain.request("GET", f"/{classrooms[0].name}/")
    redirect = plain.getresponse()

    context = browser.new_context(base_url=nginx.http_url, ignore_https_errors=True, locale="en-US")
    pages = [
        PagePoster(context.new_page(), room=classrooms[index % LOAD.rooms].name, nickname=f"chromium {index}")
        for index in range(LOAD.pages)
    ]
    for page in pages:
        page.open()
    room_url = pages[0].room_url()
    rooms = [
        RoomTraffic(
            classroom,
            [
                RoamingPoster([nginx], classroom.name, token=token, seed=1000 * number + index)
                for index, token in enumerate(classroom.student_tokens)
            ],
        )
        for number, classroom in enumerate(classrooms)
    ]
    join_statuses: Counter[int] = Counter()
    stop = threading.Event()

    def keep_posting(student: RoamingPoster) -> None:
        number = 0
        while not stop.wait(LOAD.post_interval_seconds):
            student.post(f"student says {number}")
            number += 1

    def keep_joining() -> None:
        newcomers = HttpApi(nginx.http_url)
        number = 0
        while not stop.wait(LOAD.join_interval_seconds):
            room = classrooms[number % LOAD.rooms].name
            status, _ = newcomers.request("POST", f"/api/rooms/{room}/join", {"nickname": f"newcomer {number}"})
            join_statuses[status] += 1
            number += 1

    deploys: list[tuple[subprocess.CompletedProcess, float, int]] = []

    def deploy_again_and_again() -> None:
        for _ in range(LOAD.deploys):
            started, errors_before = time.monotonic(), len(nginx.alerting_log_lines())
            result = cluster.rolling_restart(timeout=120)
            deploys.append((result, time.monotonic() - started, len(nginx.alerting_log_lines()) - errors_before))
            if result.returncode != 0:
                return

    with LoopThread() as loop:
        for number, room in enumerate(rooms):
            loop.run(room.start_listening(nginx, seed=1000 * number))
        traffic = [
            threading.Thread(target=keep_posting, args=(student,)) for room in rooms for student in room.students
        ]
        traffic.append(threading.Thread(target=keep_joining))
        deploying = threading.Thread(target=deploy_again_and_again)
        for thread in traffic:
            thread.start()
        try:
            for _ in range(PAGE_POSTS_AROUND_THE_DEPLOYS):
                for page in pages:
                    page.post_and_wait()
            pids_before = cluster.pids()
            deploying.start()
            while deploying.is_alive():
                for page in pages:
                    page.post_and_wait()
            for _ in range(PAGE_POSTS_AROUND_THE_DEPLOYS):
                for page in pages:
                    page.post_and_wait()
        finally:
            stop.set()
            for thread in traffic:
                thread.join(60)
            if deploying.is_alive():
                deploying.join(300)
        heads = {room.classroom.name: Room.objects.get(pk=room.classroom.room_id).seq for room in rooms}
        for room in rooms:
            loop.run(room.stop_listening(heads[room.classroom.name]))
    for page in pages:
        expect(page.page.get_by_test_id("messages")).to_have_attribute("data-last-seq", str(heads[page.room]))
    shown = {page.nickname: page.shown_message_ids() for page in pages}
    failed_on_pages = sum(page.page.locator("[data-testid=message][data-state=failed]").count() for page in pages)
    reconnecting = max(page.longest_reconnecting_seconds() for page in pages)
    context.close()
    nginx.stop()  # gracefully: every connection is logged once it closed

    served = Counter(nginx.statuses_served())
    listeners = [listener for room in rooms for listener in room.listeners]
    students = [student for room in rooms for student in room.students]
    print(
        f"\n{LOAD}\n{len(deploys)} deploys took {', '.join(f'{seconds:.1f}' for _, seconds, _ in deploys)} s, "
        f"with {', '.join(str(errors) for _, _, errors in deploys)} error-log lines at error level each; "
        f"{sum(len(student.acknowledged) for student in students)} API posts, "
        f"{sum(len(page.texts) for page in pages)} page posts, {join_statuses.total()} joins; "
        f"nginx answered {dict(served)}; 'Reconnecting…' at most {reconnecting:.2f} s; close codes "
        f"{dict(Counter(code for listener in listeners for code in listener.close_codes))}"
    )

    # The recipe as written, on ports that are not 80 and 443.
    assert redirect.status == 301
    assert redirect.getheader("Location") == f"{nginx.http_url}/{classrooms[0].name}/"
    assert room_url == f"{nginx.http_url}/{pages[0].room}/"
    assert [error for page in pages for error in page.page_errors] == []
    # The deploys.
    assert len(deploys) == LOAD.deploys
    for result, _, _ in deploys:
        assert result.returncode == 0, result.stderr
    assert all(cluster.pids()[port] not in (None, pids_before[port]) for port in cluster.ports)
    # Nobody saw an error, nothing had to be tried again, nothing alarmed the log.
    assert not [status for status in served if status >= 500], served
    assert [error for page in pages for error in page.server_errors] == []
    assert failed_on_pages == 0
    assert {student.retries for student in students} == {0}
    assert set(join_statuses) == {201}, join_statuses
    for listener in listeners:
        # Closed only by a draining process, and every reconnect opened.
        assert set(listener.close_codes) <= {CLOSE_SERVICE_RESTART}, listener.close_codes
    assert nginx.alerting_log_lines() == []
    # Nothing lost or doubled: every listener and page holds exactly what its room stored, each once.
    for room in rooms:
        stored = dict(Message.objects.filter(room_id=room.classroom.room_id).values_list("id", "text"))
        posted = [message for student in room.students for message in student.acknowledged]
        from_pages = [text for page in pages if page.room == room.classroom.name for text in page.texts]
        assert len(stored) == len(posted) + len(from_pages)
        assert {message["id"]: message["text"] for message in posted}.items() <= stored.items()
        assert Counter(stored.values()) >= Counter(from_pages)
        for page in pages:
            if page.room == room.classroom.name:
                assert shown[page.nickname] == set(stored)
        for listener in room.listeners:
            assert listener.event_seqs == list(range(1, heads[room.classroom.name] + 1))
            assert (listener.duplicate_frames, listener.resets) == (0, 0)
            assert listener.visible_messages() == stored

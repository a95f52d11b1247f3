"""PostgreSQL stops under load and comes back: quick 503s meanwhile, open sockets, and nothing lost or invented.

The server runs on a PostgreSQL of the test's own, which the test stops
(`pg_ctl stop -m fast`, as a restart or a failover ends every session) and
starts again, as the Redis restart test does with Redis.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest

from streaming.close_codes import CLOSE_TRY_AGAIN_LATER
from tests.integration.clients import HttpApi, StreamClient, connect_all
from tests.servers import REPO_ROOT, PostgresProcess, postgres_bin_dir, server_environment, wait_until

TEACHER, PASSWORD = "t@school.example", "a long passphrase"

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# What the issue allows an API call to take while the database is down.
OUTAGE_ANSWER_LIMIT_SECONDS = 2.0
# Posts that must have been refused before the database comes back.
REFUSED_POSTS_DURING_OUTAGE = 5
RECOVERY_TIMEOUT_SECONDS = 30


@pytest.fixture
def private_postgres():
    if postgres_bin_dir() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true needs PostgreSQL's server programs (initdb, pg_ctl)")
        pytest.skip("PostgreSQL's server programs are not installed")
    postgres = PostgresProcess().create()
    for command in (
        ["migrate", "--noinput", "-v0"],
        # A teacher who can sign in: signing up through the API needs the emailed link.
        ["shell", "-c", f"from accounts.models import Teacher; Teacher.objects.create_user({TEACHER!r}, {PASSWORD!r})"],
    ):
        subprocess.run(
            [sys.executable, str(REPO_ROOT / "manage.py"), *command],
            cwd=REPO_ROOT,
            env=server_environment(DATABASE_URL=postgres.url),
            check=True,
            timeout=180,
        )
    yield postgres
    postgres.destroy()


@dataclass
class Attempt:
    client_id: str
    text: str
    status: int
    body: dict | None
    seconds: float


class Poster:
    """Posts one message after another, each with its own client_id, and records every answer."""

    def __init__(self, api: HttpApi, room: str, token: str) -> None:
        self.api, self.room, self.token = api, room, token
        self.attempts: list[Attempt] = []
        self.running = True

    def post(self, text: str, client_id: str | None = None) -> Attempt:
        client_id = client_id or str(uuid.uuid4())
        started = time.monotonic()
        status, body = self.api.request(
            "POST", f"/api/rooms/{self.room}/messages", {"text": text, "client_id": client_id}, token=self.token
        )
        attempt = Attempt(client_id, text, status, body, time.monotonic() - started)
        self.attempts.append(attempt)
        return attempt

    def run(self) -> None:
        number = 0
        while self.running:
            number += 1
            self.post(f"under load {number}")
            time.sleep(0.02)

    def refused(self) -> list[Attempt]:
        return [attempt for attempt in self.attempts if attempt.status == 503]


def _json_request(api: HttpApi, method: str, path: str, body=None, *, token=None, expect: int):
    status, answer = api.request(method, path, body, token=token)
    assert status == expect, (method, path, status, answer)
    return answer


async def test_a_database_outage_answers_503_quickly_keeps_sockets_and_loses_nothing(private_postgres, start_servers):
    (server,) = await asyncio.to_thread(start_servers, 1, redis=None, DATABASE_URL=private_postgres.url)
    api = HttpApi(server.http_url)
    teacher = await asyncio.to_thread(
        _json_request, api, "POST", "/api/tokens", {"email": TEACHER, "password": PASSWORD}, expect=200
    )
    await asyncio.to_thread(
        _json_request, api, "POST", "/api/rooms", {"name": "outage"}, token=teacher["token"], expect=201
    )
    student = await asyncio.to_thread(
        _json_request, api, "POST", "/api/rooms/outage/join", {"nickname": "sam"}, expect=201
    )
    listeners = [StreamClient(server.ws_url, "outage") for _ in range(2)]
    await connect_all(listeners, since=0)
    poster = Poster(api, "outage", student["token"])
    load = asyncio.create_task(asyncio.to_thread(poster.run))
    await asyncio.to_thread(wait_until, lambda: len(poster.attempts) >= 5, timeout=20)

    await asyncio.to_thread(private_postgres.stop)
    await asyncio.to_thread(
        wait_until, lambda: len(poster.refused()) >= REFUSED_POSTS_DURING_OUTAGE, timeout=RECOVERY_TIMEOUT_SECONDS
    )
    health_during = await asyncio.to_thread(api.request, "GET", "/healthz")
    history_during = await asyncio.to_thread(api.request, "GET", "/api/rooms/outage/messages")
    late_socket = StreamClient(server.ws_url, "outage")
    await late_socket.connect(since=0)
    late_close_code = await late_socket.wait_until_closed()

    await asyncio.to_thread(private_postgres.start)
    await asyncio.to_thread(
        wait_until, lambda: api.request("GET", "/healthz")[0] == 200, timeout=RECOVERY_TIMEOUT_SECONDS
    )
    await asyncio.to_thread(wait_until, lambda: poster.attempts[-1].status == 201, timeout=RECOVERY_TIMEOUT_SECONDS)
    poster.running = False
    await load
    # Every post whose answer was a 503 is sent again with its client_id, as a client does.
    retried = [await asyncio.to_thread(poster.post, attempt.text, attempt.client_id) for attempt in poster.refused()]
    history = await asyncio.to_thread(_json_request, api, "GET", "/api/rooms/outage/messages?limit=100", expect=200)
    head = history["seq"]
    for listener in listeners:
        await listener.wait_for_position(head)
    for listener in listeners:
        await listener.close()

    statuses = {attempt.status for attempt in poster.attempts}
    print(
        f"{len(poster.attempts)} posts: {len(poster.refused())} answered 503, slowest 503 "
        f"{max(attempt.seconds for attempt in poster.refused()):.3f}s; head {head}"
    )
    assert statuses <= {200, 201, 503}, statuses
    refused = poster.refused()
    assert all(attempt.body["error"]["code"] == "database_unavailable" for attempt in refused)
    assert max(attempt.seconds for attempt in refused) < OUTAGE_ANSWER_LIMIT_SECONDS
    assert health_during[0] == 503
    assert health_during[1]["database"]["status"] == "unavailable"
    assert health_during[1]["channel_layer"]["status"] == "ok"
    assert history_during[0] == 503
    assert history_during[1]["error"]["code"] == "database_unavailable"
    assert [frame["type"] for frame in late_socket.frames] == []
    assert late_close_code == CLOSE_TRY_AGAIN_LATER
    # A refused post was not stored: its retry creates it now (201), once.
    assert [attempt.status for attempt in retried] == [201] * len(retried)
    stored = {message["id"]: message["text"] for message in history["messages"]}
    acknowledged = [attempt.body["message"] for attempt in poster.attempts if attempt.status in (200, 201)]
    assert {message["id"]: message["text"] for message in acknowledged} == stored
    assert not history["has_more"]
    for listener in listeners:
        assert listener.connections == 1
        assert listener.event_seqs == list(range(1, head + 1))
        assert listener.visible_messages() == stored

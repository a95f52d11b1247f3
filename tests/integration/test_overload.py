"""A server offered more posts than it can answer soon refuses the excess at once, loses nothing, and recovers."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from rooms.models import Message

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# One database thread and a 20 ms bound: 40 posters at once queue far past it.
SERVER_SETTINGS = {"DATABASE_THREADS": "1", "ADMISSION_WAIT_LIMIT_MS": "20"}
POSTERS = 40
POSTS = 400
# Far above the bound: a refusal that took this long was queued, not refused at once.
REFUSAL_LIMIT_SECONDS = 1.0
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Answer:
    client_id: str
    status: int
    body: dict
    retry_after: str | None
    seconds: float


def _post(base_url: str, room: str, token: str) -> Answer:
    client_id = str(uuid.uuid4())
    request = urllib.request.Request(  # noqa: S310
        f"{base_url}/api/rooms/{room}/messages",
        data=json.dumps({"text": "hello", "client_id": client_id}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=30) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    return Answer(client_id, status, json.loads(raw), headers.get("Retry-After"), time.monotonic() - started)


def test_posts_past_the_bound_are_refused_at_once_and_every_accepted_one_is_stored(start_servers, owner, room):
    (server,) = start_servers(1, redis=None, **SERVER_SETTINGS)

    with ThreadPoolExecutor(max_workers=POSTERS) as posters:
        answers = list(posters.map(lambda _: _post(server.http_url, room.name, owner.token), range(POSTS)))

    accepted = [answer for answer in answers if answer.status == 201]
    refused = [answer for answer in answers if answer.status != 201]
    assert accepted, "nothing got through"
    assert refused, "the server queued everything instead of refusing the excess"
    for answer in refused:
        assert answer.status == 503
        assert answer.body["error"]["code"] == "overloaded"
        assert answer.retry_after == "1"
        assert answer.seconds < REFUSAL_LIMIT_SECONDS
    stored = set(Message.objects.filter(room=room).values_list("client_id", flat=True))
    assert {uuid.UUID(answer.client_id) for answer in accepted} == stored

    # The load is gone: every post is answered again.
    after = [_post(server.http_url, room.name, owner.token) for _ in range(10)]
    assert [answer.status for answer in after] == [201] * 10

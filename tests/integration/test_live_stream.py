"""The live stream against a real Daphne: several listeners, concurrent posters, a delete, a resume.

Everything goes through the network, as a browser's would: posts over the
HTTP API, events over websockets. At the end every listener must show
exactly what the database holds.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.integration.clients import WAIT_TIMEOUT_SECONDS, HttpApi, StreamClient
from tests.integration.rooms import signed_up_teacher_token, visible_in_database

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOM = "genetics"
STUDENTS = 4
LISTENERS = 5


@dataclass
class Classroom:
    api: HttpApi
    owner_token: str
    student_tokens: list[str]

    async def request(self, method: str, path: str, body=None, *, token: str | None = None):
        return await asyncio.to_thread(self.api.request, method, path, body, token=token)

    async def post_concurrently(self, posts_per_student: int, *, owner_posts: int = 0) -> list[dict]:
        """Every student (and the owner) posts at once, each from their own thread."""

        def post_several(token: str, label: str, count: int) -> list[dict]:
            return [self.api.post_message(ROOM, f"{label} says {number}", token=token) for number in range(count)]

        authors = [(token, f"student {index}", posts_per_student) for index, token in enumerate(self.student_tokens)]
        authors.append((self.owner_token, "owner", owner_posts))
        posted = await asyncio.gather(*(asyncio.to_thread(post_several, *author) for author in authors))
        return [message for messages in posted for message in messages]


async def open_classroom(api: HttpApi) -> Classroom:
    owner_token = await asyncio.to_thread(signed_up_teacher_token, api, "mendel@school.example", "peas in a pod, 1866")
    status, body = await asyncio.to_thread(
        api.request, "POST", "/api/rooms", {"name": ROOM, "topic": "Heredity"}, token=owner_token
    )
    assert status == 201, body
    student_tokens = []
    for index in range(STUDENTS):
        status, body = await asyncio.to_thread(
            api.request, "POST", f"/api/rooms/{ROOM}/join", {"nickname": f"student {index}"}
        )
        assert status == 201, body
        student_tokens.append(body["token"])
    return Classroom(api, owner_token, student_tokens)


async def test_every_listener_ends_with_exactly_the_databases_messages(daphne):
    classroom = await open_classroom(HttpApi(daphne.http_url))
    listeners = [StreamClient(daphne.ws_url, ROOM) for _ in range(LISTENERS)]
    resumer = listeners[-1]
    for index, listener in enumerate(listeners[:-1]):
        await listener.connect(since=0 if index % 2 else None)
    await resumer.connect(drop_at=10)
    for listener in listeners:
        await listener.wait_for_hello()

    first_batch = await classroom.post_concurrently(8)
    retry_status, retry = await classroom.request(
        "POST",
        f"/api/rooms/{ROOM}/messages",
        {"text": "sent again after a lost answer", "client_id": first_batch[0]["client_id"]},
        token=classroom.student_tokens[0],
    )
    await resumer.wait_until_closed()
    # Deleted while the resumer is away: it must learn of the delete without
    # ever being sent the words.
    regretted = max(first_batch, key=lambda message: message["seq"])
    delete_status, _ = await classroom.request(
        "DELETE", f"/api/rooms/{ROOM}/messages/{regretted['id']}", token=classroom.owner_token
    )
    second_batch = asyncio.ensure_future(classroom.post_concurrently(7, owner_posts=5))
    await resumer.connect(since=resumer.position)
    late_joiner = await StreamClient(daphne.ws_url, ROOM).connect(since=0)
    await second_batch
    _, room = await classroom.request("GET", f"/api/rooms/{ROOM}")
    head = room["seq"]
    everyone = [*listeners, late_joiner]
    for listener in everyone:
        await listener.wait_for_position(head)
    stored = await visible_in_database(ROOM)
    for listener in everyone:
        await listener.close()

    assert (retry_status, retry["message"]) == (200, first_batch[0])
    assert delete_status == 204
    # Every post once, plus the delete: nothing duplicated by the retry.
    assert head == len(first_batch) + len(second_batch.result()) + 1
    assert regretted["id"] not in stored
    assert len(stored) == head - 2
    assert resumer.connections == 2
    for listener in everyone:
        assert listener.event_seqs == list(range(1, head + 1))
        assert all(frame["type"] != "reset" for frame in listener.frames)
        assert listener.visible_messages() == stored
    for listener in (resumer, late_joiner):
        assert regretted["text"] not in json.dumps(listener.frames)


async def test_a_listener_without_since_gets_hello_then_only_live_events(daphne):
    classroom = await open_classroom(HttpApi(daphne.http_url))
    for number in range(3):
        await asyncio.to_thread(classroom.api.post_message, ROOM, f"earlier {number}", token=classroom.owner_token)

    listener = await StreamClient(daphne.ws_url, ROOM).connect()
    await listener.wait_for_position(3)
    await asyncio.to_thread(classroom.api.post_message, ROOM, "just now", token=classroom.owner_token)
    await listener.wait_for_position(4)
    await listener.close()

    hello, live = listener.frames
    assert (hello["type"], hello["seq"], hello["room"]["name"], hello["room"]["seq"]) == ("hello", 3, ROOM, 3)
    assert (live["type"], live["seq"], live["message"]["text"]) == ("message.created", 4, "just now")


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        # The same host on another port or scheme is another site.
        "http://127.0.0.1:{other_port}",
        "https://127.0.0.1:{port}",
    ],
)
async def test_a_page_from_another_origin_is_refused_at_the_handshake(daphne, origin):
    await open_classroom(HttpApi(daphne.http_url))

    with pytest.raises(InvalidStatus) as refused:
        await connect(
            f"{daphne.ws_url}/ws/rooms/{ROOM}/",
            origin=origin.format(port=daphne.port, other_port=daphne.port + 1),
            open_timeout=WAIT_TIMEOUT_SECONDS,
            proxy=None,
        )

    assert refused.value.response.status_code == 403


async def test_a_page_of_the_servers_own_origin_listens(daphne):
    await open_classroom(HttpApi(daphne.http_url))

    async with connect(
        f"{daphne.ws_url}/ws/rooms/{ROOM}/", origin=daphne.http_url, open_timeout=WAIT_TIMEOUT_SECONDS, proxy=None
    ) as socket:
        hello = json.loads(await asyncio.wait_for(socket.recv(), WAIT_TIMEOUT_SECONDS))

    assert hello["type"] == "hello"

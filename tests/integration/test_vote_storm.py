"""A vote storm on two real server processes: 1,000 sockets vote at once, and all end with the right counts."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.db.models import F

from rooms import services
from rooms.models import Message, Participant, Room, RoomEvent
from tests.integration.clients import HttpApi, StreamClient, connect_all
from todaysmeet.tokens import token_generate, token_hash

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

VOTERS = 1000
QUESTIONS = 3
# Voters whose requests are in flight at once; the test client sends as fast as these allow.
SENDERS = 32
SETTLE_SECONDS = 60


def voters_join(room: Room, count: int) -> list[tuple[int, str]]:
    """(participant id, token) of `count` participants, written at once: the joins themselves are not under test."""
    tokens = [token_generate() for _ in range(count)]
    Participant.objects.bulk_create(
        Participant(room=room, nickname=f"voter {index}", color="#0f766e", token_hash=token_hash(token))
        for index, token in enumerate(tokens)
    )
    ids = Participant.objects.filter(room=room).order_by("pk").values_list("pk", flat=True)
    return list(zip(ids, tokens, strict=True))


@dataclass
class Storm:
    room: Room
    questions: list[Message]
    voters: list[tuple[int, str]]


@pytest.fixture
def storm(owner) -> Storm:
    room = services.room_create(owner=owner.obj, name="storm")
    questions = [services.message_post(room=room, author=owner.obj, text=f"question {n}")[0] for n in range(QUESTIONS)]
    return Storm(room=room, questions=questions, voters=voters_join(room, VOTERS))


@database_sync_to_async
def stored_outcome(room_id: int) -> tuple[dict[int, int], list]:
    """Each message's count, and when each message.votes event was recorded."""
    try:
        counts = dict(Message.objects.filter(room_id=room_id).values_list("pk", "upvotes"))
        events = RoomEvent.objects.filter(room_id=room_id, type="message.votes").order_by("seq")
        return counts, list(events.values_list("created_at", flat=True))
    finally:
        connection.close()


@database_sync_to_async
def settled_head(room_id: int) -> int | None:
    """The room's head once every count has been announced; None while some are still waiting."""
    try:
        waiting = Message.objects.filter(room_id=room_id).exclude(upvotes=F("upvotes_published")).exists()
        return None if waiting else Room.objects.get(pk=room_id).seq
    finally:
        connection.close()


def counts_seen(client: StreamClient) -> dict[int, int]:
    counts: dict[int, int] = {}
    for frame in client.frames:
        if frame["type"] == "message.votes":
            counts.update({vote["message_id"]: vote["upvotes"] for vote in frame["votes"]})
    return counts


def _sent_until_admitted(api: HttpApi, method: str, path: str, token: str) -> int:
    """Blocking. A busy server refuses at once (503 overloaded) and says when to come back; a vote can be sent twice."""
    while True:
        status, body = api.request(method, path, token=token)
        if status != 503 or body["error"]["code"] != "overloaded":
            return status
        # The wait the protocol asks a client for, not a wait for a condition.
        time.sleep(body["error"]["retry_after"])


async def test_a_thousand_sockets_voting_at_once_all_end_with_the_right_counts(private_redis, start_servers, storm):
    room, questions, voters = storm.room, storm.questions, storm.voters
    servers = await asyncio.to_thread(start_servers, 2, redis=private_redis)
    # Every voter listens with their own token, half on each process.
    clients = [
        StreamClient(server.ws_url, room.name, token=token)
        for server, (_, token) in zip(itertools.cycle(servers), voters)
    ]
    await connect_all(clients)

    # Each voter upvotes one question; every tenth then upvotes another and takes that back, in that order.
    ballots = []
    for index, (_, token) in enumerate(voters):
        ballot = [("POST", questions[index % QUESTIONS])]
        if index % 10 == 0:
            other = questions[(index + 1) % QUESTIONS]
            ballot += [("POST", other), ("DELETE", other)]
        ballots.append((token, ballot))
    apis = [HttpApi(server.http_url) for server in servers]

    def vote(number: int, token: str, ballot: list[tuple[str, Message]]) -> list[int]:
        # Alternate processes: a voter's later requests may reach the other one.
        return [
            _sent_until_admitted(
                apis[(number + step) % len(apis)],
                method,
                f"/api/rooms/{room.name}/messages/{question.pk}/upvote",
                token,
            )
            for step, (method, question) in enumerate(ballot)
        ]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        answered = await asyncio.gather(
            *(asyncio.wrap_future(pool.submit(vote, number, *ballot)) for number, ballot in enumerate(ballots))
        )
    voting_seconds = time.monotonic() - started
    requests = sum(len(ballot) for _, ballot in ballots)
    assert Counter(status for statuses in answered for status in statuses) == {200: requests}

    head = None
    deadline = time.monotonic() + SETTLE_SECONDS
    while head is None and time.monotonic() < deadline:
        head = await settled_head(room.pk)
        if head is None:
            await asyncio.sleep(0.1)
    assert head is not None, "vote counts were still waiting to be announced"
    for client in clients:
        await client.wait_for_position(head)
    for client in clients:
        await client.close()

    expected = {question.pk: len(range(index, VOTERS, QUESTIONS)) for index, question in enumerate(questions)}
    stored, times = await stored_outcome(room.pk)
    assert stored == expected
    for client in clients:
        assert counts_seen(client) == expected
    # Never more than one every interval, from both processes together, however many votes came in.
    assert all(later - earlier >= services.VOTES_EVENT_INTERVAL for earlier, later in itertools.pairwise(times))
    assert len(times) < requests / 10
    print(f"{requests} votes sent in {voting_seconds:.1f} s; {len(times)} message.votes events")

"""Two server processes over one Redis and one database: any post reaches every socket on every process."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.integration.clients import HttpApi, StreamClient, connect_all
from tests.integration.rooms import Classroom, open_classroom, visible_in_database

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LISTENERS_PER_PROCESS = 3
POSTS_PER_STUDENT = 6


@pytest.fixture
def classroom(owner, make_participant) -> Classroom:
    return open_classroom(owner, make_participant, name="mitosis", students=4)


async def test_every_listener_on_either_process_gets_every_post_from_either_in_seq_order(
    private_redis, start_servers, classroom
):
    servers = await asyncio.to_thread(start_servers, 2, redis=private_redis)
    listeners = [
        StreamClient(server.ws_url, classroom.name) for server in servers for _ in range(LISTENERS_PER_PROCESS)
    ]
    await connect_all(listeners, since=0)

    # Each student alternates between the processes, all students at once.
    def post_several(student_index: int, token: str) -> list[dict]:
        apis = itertools.cycle([HttpApi(server.http_url) for server in servers][student_index % 2 :])
        return [
            next(apis).post_message(classroom.name, f"student {student_index} says {number}", token=token)
            for number in range(POSTS_PER_STUDENT)
        ]

    posted = await asyncio.gather(
        *(asyncio.to_thread(post_several, index, token) for index, token in enumerate(classroom.student_tokens))
    )
    acknowledged = [message for messages in posted for message in messages]
    head = len(acknowledged)
    for listener in listeners:
        await listener.wait_for_position(head)
    stored = await visible_in_database(classroom.name)
    for listener in listeners:
        await listener.close()

    assert sorted(message["seq"] for message in acknowledged) == list(range(1, head + 1))
    assert stored == {message["id"]: message["text"] for message in acknowledged}
    for listener in listeners:
        assert listener.event_seqs == list(range(1, head + 1))
        assert listener.visible_messages() == stored

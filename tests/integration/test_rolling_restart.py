"""Both processes are replaced, one at a time, while students post and listeners listen: nobody notices.

The check is Jepsen's: whatever the clients went through, every post a
server acknowledged is seen exactly once by every listener, deleted messages
stay deleted, no post fails, and every listener ends with what the database
holds.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from rooms.models import Room
from streaming.close_codes import CLOSE_SERVICE_RESTART
from tests.integration.roaming import RoamingListener, RoamingPoster
from tests.integration.rooms import Classroom, message_count_in_database, open_classroom, visible_in_database
from tests.servers import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LISTENERS = 6
STUDENTS = 3
POST_INTERVAL_SECONDS = 0.1
DELETE_INTERVAL_SECONDS = 0.4
# Traffic that must be flowing before the restart starts, and after it ends.
POSTS_AROUND_THE_RESTART = 10


@pytest.fixture
def classroom(owner, make_participant) -> Classroom:
    return open_classroom(owner, make_participant, name="rolling", students=STUDENTS)


@database_sync_to_async
def room_head(room_id: int) -> int:
    try:
        return Room.objects.get(pk=room_id).seq
    finally:
        connection.close()


async def test_a_rolling_restart_under_load_loses_doubles_and_fails_nothing(private_redis, start_cluster, classroom):
    # Students post as fast as the test wants, not as fast as the product allows.
    cluster = await asyncio.to_thread(
        start_cluster, 2, redis=private_redis, POST_RATE_BURST="100000", POST_RATE_PER_MINUTE="100000"
    )
    endpoints = cluster.endpoints
    listeners = [RoamingListener(endpoints, classroom.name, seed=index).start() for index in range(LISTENERS)]
    for listener in listeners:
        await listener.wait_until_connected()
    students = [
        RoamingPoster(endpoints, classroom.name, token=token, seed=100 + index)
        for index, token in enumerate(classroom.student_tokens)
    ]
    teacher = RoamingPoster(endpoints, classroom.name, token=classroom.owner_token, seed=99)
    deleted: list[dict] = []
    stop = threading.Event()

    def keep_posting(student: RoamingPoster, label: str) -> None:
        number = 0
        while not stop.is_set():
            student.post(f"{label} says {number}")
            number += 1
            stop.wait(POST_INTERVAL_SECONDS)

    def keep_deleting() -> None:
        pick = random.Random(7)
        while not stop.wait(DELETE_INTERVAL_SECONDS):
            candidates = [
                message
                for student in students
                for message in student.acknowledged
                if message["id"] not in {gone["id"] for gone in deleted}
            ]
            if candidates:
                message = pick.choice(candidates)
                teacher.delete(message["id"])
                deleted.append(message)

    def acknowledged() -> int:
        return sum(len(student.acknowledged) for student in students)

    traffic = asyncio.gather(
        *(asyncio.to_thread(keep_posting, student, f"student {index}") for index, student in enumerate(students)),
        asyncio.to_thread(keep_deleting),
    )
    try:
        await asyncio.to_thread(wait_until, lambda: acknowledged() >= POSTS_AROUND_THE_RESTART, timeout=30)
        pids_before = cluster.pids()
        restarted_at = time.monotonic()
        restart = await asyncio.to_thread(cluster.rolling_restart)
        restart_seconds = time.monotonic() - restarted_at
        after_restart = acknowledged()
        await asyncio.to_thread(
            wait_until, lambda: acknowledged() >= after_restart + POSTS_AROUND_THE_RESTART, timeout=30
        )
    finally:
        stop.set()
        await traffic

    head = await room_head(classroom.room_id)
    for listener in listeners:
        await listener.wait_for_position(head)
    stored = await visible_in_database(classroom.name)
    stored_count = await message_count_in_database(classroom.name)
    for listener in listeners:
        await listener.stop()

    assert restart.returncode == 0, restart.stderr
    pids_after = cluster.pids()
    assert all(pids_after[port] not in (None, pids_before[port]) for port in cluster.ports), (pids_before, pids_after)
    posted = [message for student in students for message in student.acknowledged]
    # Retries never doubled a post: one row per acknowledged post, one event each.
    assert stored_count == len(posted) == len({message["id"] for message in posted})
    assert head == len(posted) + len(deleted)
    deleted_ids = {message["id"] for message in deleted}
    assert stored == {message["id"]: message["text"] for message in posted if message["id"] not in deleted_ids}
    close_codes = Counter(code for listener in listeners for code in listener.close_codes)
    assert close_codes[CLOSE_SERVICE_RESTART] > 0
    # Sockets were only ever closed for the restart; no connection was refused or reset, no request retried.
    assert set(close_codes) <= {CLOSE_SERVICE_RESTART}, close_codes
    assert sum(student.retries for student in students) + teacher.retries == 0
    for listener in listeners:
        assert listener.event_seqs == list(range(1, head + 1))
        assert (listener.duplicate_frames, listener.resets) == (0, 0)
        assert listener.created_message_ids() == Counter({message["id"]: 1 for message in posted})
        assert listener.visible_messages() == stored
        for message in deleted:
            assert listener.shown_after_deletion(message["id"]) == []
    print(
        f"rolling restart took {restart_seconds:.1f}s; {len(posted)} posts, {len(deleted)} deletes, "
        f"{sum(student.retries for student in students)} retried requests, close codes {dict(close_codes)}, "
        f"gaps filled {sum(listener.gaps_filled for listener in listeners)}"
    )

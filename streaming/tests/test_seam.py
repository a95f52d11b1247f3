"""Sockets that connect while others post see every event exactly once, in order.

A socket subscribes to live events before it reads hello and its replay from
the database; the events committed in between arrive both ways and must be
sent once. Posters here run in their own threads, as concurrent requests do.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection

from rooms import services
from rooms.models import Message, Room
from streaming.tests.sockets import Listener, room_path

pytestmark = pytest.mark.django_db(transaction=True)

POSTS_PER_AUTHOR = 15


def post_in_own_thread(room_id: int, author, label: str) -> None:
    room = Room.objects.get(pk=room_id)
    try:
        for number in range(POSTS_PER_AUTHOR):
            services.message_post(room=room, author=author, text=f"{label} {number}")
    finally:
        connection.close()


@database_sync_to_async
def stored_texts(room: Room) -> dict[int, str]:
    return dict(Message.objects.filter(room=room).values_list("seq", "text"))


async def test_sockets_connecting_during_a_burst_of_posts_see_every_event_once(listen, room, owner, make_participant):
    students = [(await sync_to_async(make_participant)(room, f"student{index}")).obj for index in range(3)]
    authors = [owner.obj, *students]
    total = POSTS_PER_AUTHOR * len(authors)
    watcher = await listen(room_path(room))
    await watcher.next_frame()

    posters = [
        asyncio.ensure_future(sync_to_async(post_in_own_thread, thread_sensitive=False)(room.pk, author, f"a{index}"))
        for index, author in enumerate(authors)
    ]
    # Each socket connects once the stream has reached its turn, so every one
    # joins while the posters are still writing; they resume from a mix of
    # points: nothing, the very start, and just behind what has been seen.
    joined: list[tuple[Listener, int | None]] = []
    for turn, reached in enumerate(range(5, total - 10, 5)):
        await watcher.frames_through(reached)
        since = [None, 0, reached - 3, reached][turn % 4]
        joined.append((await listen(room_path(room, since=since)), since))
    await asyncio.gather(*posters)

    texts = await stored_texts(room)
    assert sorted(texts) == list(range(1, total + 1))
    for listener, since in [(watcher, None), *joined]:
        hello = listener.frames[0] if listener.frames else await listener.next_frame()
        if max(listener.event_seqs, default=hello["seq"] if since is None else since) < total:
            await listener.frames_through(total)
        first = hello["seq"] + 1 if since is None else since + 1
        assert hello["type"] == "hello"
        assert listener.event_seqs == list(range(first, total + 1)), f"since={since}, hello at {hello['seq']}"
        assert all(frame["type"] != "reset" for frame in listener.frames)
        for frame in listener.frames[1:]:
            assert frame["message"]["text"] == texts[frame["seq"]]

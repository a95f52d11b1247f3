"""Sockets arriving together share their room lookup and state read, and each still gets exactly its own start."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError

from rooms import services
from streaming import arrivals
from streaming.close_codes import CLOSE_TRY_AGAIN_LATER
from streaming.hub import room_hub
from streaming.snapshot import stream_starts
from streaming.tests.sockets import post, room_path

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_name_taken_again_after_its_room_was_deleted_streams_the_new_room(listen, room, owner):
    first = await listen(room_path(room))
    assert (await first.next_frame())["room"]["topic"] == "Cells"
    await database_sync_to_async(services.room_delete)(room=room)
    await first.close_code()

    again = await database_sync_to_async(services.room_create)(owner=owner.obj, name=room.name, topic="Plants")
    second = await listen(room_path(again))
    hello = await second.next_frame()
    await post(again, owner.obj, "welcome back")

    assert hello["room"]["topic"] == "Plants"
    assert (await second.next_frame())["message"]["text"] == "welcome back"


async def test_sockets_of_one_room_arriving_together_all_get_its_hello(listen, room):
    listeners = await asyncio.gather(*(listen(room_path(room)) for _ in range(20)))

    hellos = await asyncio.gather(*(listener.next_frame() for listener in listeners))

    assert {hello["room"]["name"] for hello in hellos} == {room.name}


async def test_sockets_arriving_together_in_a_streamed_room_share_one_state_read(listen, room, monkeypatch):
    # The room is joined and its id known, as in a process already serving it.
    await (await listen(room_path(room))).next_frame()
    reads: list[int] = []

    def counted_stream_starts(**kwargs):
        reads.append(len(kwargs["requests"]))
        return stream_starts(**kwargs)

    monkeypatch.setattr(arrivals, "stream_starts", counted_stream_starts)

    listeners = await asyncio.gather(*(listen(room_path(room)) for _ in range(20)))
    hellos = await asyncio.gather(*(listener.next_frame() for listener in listeners))

    assert reads == [20]
    assert [hello["type"] for hello in hellos] == ["hello"] * 20


async def test_a_socket_whose_start_fails_for_want_of_a_database_leaves_its_room_and_is_told_to_retry(
    listen, room, monkeypatch
):
    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(arrivals, "stream_starts", database_gone)
    listener = await listen(room_path(room))

    assert await listener.close_code() == CLOSE_TRY_AGAIN_LATER
    assert room.pk not in room_hub().feeds


async def test_an_unknown_room_is_not_found_even_after_a_known_one(listen, room):
    await (await listen(room_path(room))).next_frame()

    missing = await listen("/ws/rooms/no-such-room/")

    assert await missing.close_code() == 4404


async def test_sockets_resuming_from_different_points_together_each_get_their_own_replay(listen, room, participant):
    for number in range(1, 6):
        await post(room, participant.obj, f"message {number}")

    resume_points = {0: 6, 2: 4, 4: 2, 5: 1, 9: 2}  # since → frames its start has
    listeners = await asyncio.gather(*(listen(room_path(room, since=since)) for since in resume_points))
    starts = [
        [await listener.next_frame() for _ in range(count)]
        for listener, count in zip(listeners, resume_points.values(), strict=True)
    ]

    assert [[frame["type"] for frame in start] for start in starts] == [
        ["hello", *["message.created"] * 5],
        ["hello", *["message.created"] * 3],
        ["hello", "message.created"],
        ["hello"],
        ["hello", "reset"],
    ]
    assert [frame["seq"] for frame in starts[1][1:]] == [3, 4, 5]

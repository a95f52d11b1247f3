"""The process's RoomHub keeps every room's stream contiguous, whatever the layer does.

A lost layer message is simulated by taking the hub out of the room's group
while a service publishes, which is what a dropped message looks like from
the hub's side: the event is in the database and never arrives.
"""

from __future__ import annotations

import contextlib

import pytest
from channels.db import database_sync_to_async
from prometheus_client import REGISTRY

from rooms import services
from rooms.models import Room, RoomEvent
from streaming import layer_watch
from streaming.audiences import EventTexts, event_texts
from streaming.hub import HUB_REPAIR_LIMIT, room_hub
from streaming.publish import queued_sends_made, room_group
from streaming.tests.sockets import post, room_path

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.asynccontextmanager
async def layer_messages_lost(room: Room):
    hub = room_hub()
    await hub.layer.group_discard(room_group(room.pk), hub.channel_name)
    try:
        yield
        # Posts answer before their events are sent: these must be lost too.
        await queued_sends_made()
    finally:
        await hub.layer.group_add(room_group(room.pk), hub.channel_name)


@database_sync_to_async
def stored_event_texts(room: Room, seq: int) -> EventTexts:
    return event_texts(RoomEvent.objects.select_related("message").get(room=room, seq=seq))


async def stored_event_text(room: Room, seq: int) -> str:
    """What a public reader is sent of event `seq`."""
    return (await stored_event_texts(room, seq)).public


async def redeliver(room: Room, seq: int) -> None:
    """Put event `seq` on the layer again, as a late or repeated publish would."""
    texts = await stored_event_texts(room, seq)
    await room_hub().layer.group_send(room_group(room.pk), texts.layer_message(room.pk))


async def test_events_the_layer_lost_are_filled_from_the_database(listen, room, participant):
    listener = await listen(room_path(room))
    await listener.next_frame()
    repairs = REGISTRY.get_sample_value("todaysmeet_stream_repairs_total", {"kind": "gap"}) or 0

    async with layer_messages_lost(room):
        for number in range(1, 4):
            await post(room, participant.obj, f"lost {number}")
    await post(room, participant.obj, "arrives")
    frames = await listener.frames_through(4)

    assert [frame["seq"] for frame in frames] == [1, 2, 3, 4]
    assert [frame["message"]["text"] for frame in frames] == ["lost 1", "lost 2", "lost 3", "arrives"]
    assert listener.texts[1:4] == [await stored_event_text(room, seq) for seq in (1, 2, 3)]
    assert REGISTRY.get_sample_value("todaysmeet_stream_repairs_total", {"kind": "gap"}) == repairs + 1


async def test_the_last_event_of_a_quiet_room_still_arrives_when_the_layer_lost_it(
    listen, room, participant, monkeypatch
):
    # Checked at every heartbeat instead of every few seconds.
    monkeypatch.setattr(layer_watch, "HUB_TAIL_CHECK_SECONDS", 0)
    listener = await listen(room_path(room))
    await listener.next_frame()

    async with layer_messages_lost(room):
        await post(room, participant.obj, "nobody posts after me")
    frame = await listener.next_frame()

    assert (frame["seq"], frame["message"]["text"]) == (1, "nobody posts after me")
    assert listener.texts[1] == await stored_event_text(room, 1)


async def test_an_event_arriving_after_a_skipped_one_pulls_the_skipped_one_from_the_database(listen, room, participant):
    listener = await listen(room_path(room))
    await listener.next_frame()

    async with layer_messages_lost(room):
        for number in range(1, 4):
            await post(room, participant.obj, f"message {number}")
    await redeliver(room, 3)
    await redeliver(room, 1)
    await redeliver(room, 2)
    await post(room, participant.obj, "message 4")
    frames = await listener.frames_through(4)

    assert [frame["seq"] for frame in frames] == [1, 2, 3, 4]
    assert [frame["message"]["text"] for frame in frames] == ["message 1", "message 2", "message 3", "message 4"]


async def test_a_repeated_event_is_sent_once(listen, room, participant):
    listener = await listen(room_path(room))
    await listener.next_frame()

    await post(room, participant.obj, "once")
    await redeliver(room, 1)
    await redeliver(room, 1)
    await post(room, participant.obj, "twice")

    assert [frame["seq"] for frame in await listener.frames_through(2)] == [1, 2]


async def test_a_repaired_event_for_a_deleted_message_carries_no_text(listen, room, owner, participant):
    listener = await listen(room_path(room))
    await listener.next_frame()

    async with layer_messages_lost(room):
        regret = await post(room, participant.obj, "something I regret")
        await database_sync_to_async(services.message_delete)(room=room, message=regret, deleted_by=owner.obj)
    await post(room, participant.obj, "moving on")
    frames = await listener.frames_through(3)

    assert frames[0] == {"type": "message.created", "seq": 1, "message": {"id": regret.pk, "seq": 1, "deleted": True}}
    assert frames[1] == {"type": "message.deleted", "seq": 2, "message_id": regret.pk}
    assert all("regret" not in text for text in listener.texts)


@database_sync_to_async
def post_many(room: Room, author, count: int) -> None:
    for number in range(count):
        services.message_post(room=room, author=author, text=f"flood {number}")


async def test_a_gap_too_large_to_repair_resets_the_socket_then_goes_on_live(listen, room, owner):
    listener = await listen(room_path(room))
    await listener.next_frame()

    async with layer_messages_lost(room):
        await post_many(room, owner.obj, HUB_REPAIR_LIMIT + 1)
    head = HUB_REPAIR_LIMIT + 2
    await post(room, owner.obj, "after the flood")
    frames = await listener.frames_through(head)

    assert frames[0] == {"type": "reset", "seq": head - 1}
    assert [(frame["seq"], frame["message"]["text"]) for frame in frames[1:]] == [(head, "after the flood")]


async def test_a_room_left_by_every_socket_streams_again_to_the_next_one(listen, room, participant):
    first = await listen(room_path(room))
    await first.next_frame()
    await first.close()

    await post(room, participant.obj, "while nobody listens")
    second = await listen(room_path(room))
    hello = await second.next_frame()
    await post(room, participant.obj, "welcome back")

    assert hello["seq"] == 1
    assert [frame["message"]["text"] for frame in await second.frames_through(2)] == ["welcome back"]


async def test_sockets_in_different_rooms_get_only_their_rooms_events(listen, make_participant, owner, room):
    other_room = await database_sync_to_async(services.room_create)(owner=owner.obj, name="chemistry")
    chemist = await database_sync_to_async(make_participant)(other_room, "chemist")
    biology = await listen(room_path(room))
    chemistry = await listen(room_path(other_room))
    await biology.next_frame()
    await chemistry.next_frame()

    await post(other_room, chemist.obj, "H2O")
    await post(room, owner.obj, "Cells first")
    await post(other_room, chemist.obj, "NaCl")

    assert [frame["message"]["text"] for frame in await biology.frames_through(1)] == ["Cells first"]
    assert [frame["message"]["text"] for frame in await chemistry.frames_through(2)] == ["H2O", "NaCl"]

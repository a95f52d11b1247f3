"""Vote counts reach the sockets coalesced: a few message.votes events, each with the latest counts."""

from __future__ import annotations

import itertools

import pytest
from channels.db import database_sync_to_async

from rooms import services
from rooms.models import RoomEvent
from streaming.tests.sockets import room_path

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def vote(room, message, voter, upvote=True) -> int:
    return services.message_vote(room=room, message=message, voter=voter, upvote=upvote)


@database_sync_to_async
def votes_event_times() -> list:
    return list(RoomEvent.objects.filter(type="message.votes").order_by("seq").values_list("created_at", flat=True))


async def final_counts(listener, expected: dict[int, int]) -> dict[int, int]:
    """Apply message.votes frames until the counts are `expected` (or the frames stop coming)."""
    counts: dict[int, int] = {}
    while counts != expected:
        frame = await listener.next_frame()
        if frame["type"] == "message.votes":
            counts.update({vote["message_id"]: vote["upvotes"] for vote in frame["votes"]})
    return counts


async def test_a_burst_of_votes_arrives_as_a_few_events_with_the_final_counts(listen, room, owner, make_participant):
    first = (await database_sync_to_async(services.message_post)(room=room, author=owner.obj, text="one"))[0]
    second = (await database_sync_to_async(services.message_post)(room=room, author=owner.obj, text="two"))[0]
    voters = [await database_sync_to_async(make_participant)(room, f"voter {index}") for index in range(12)]
    listener = await listen(room_path(room))
    await listener.next_frame()

    for index, voter in enumerate(voters):
        await vote(room, first if index % 3 else second, voter.obj)
    await vote(room, first, voters[1].obj, upvote=False)

    counts = await final_counts(listener, {first.pk: 7, second.pk: 4})

    assert counts == {first.pk: 7, second.pk: 4}
    # Thirteen votes, fewer events, each at least the interval after the one before.
    times = await votes_event_times()
    assert len(times) < 13
    assert all(later - earlier >= services.VOTES_EVENT_INTERVAL for earlier, later in itertools.pairwise(times))

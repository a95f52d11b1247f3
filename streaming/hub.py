"""Per-process fan-out of room events to local sockets.

The process joins each room's channel-layer group once, however many sockets
it holds for that room, and forwards each event's pre-serialised text to
them. It also keeps each room's stream contiguous: events from several
publishing processes can reach Redis out of order, and the layer may drop
one, so a jump in seq is filled from the database before anything is sent.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from rooms.payloads import event_payload
from rooms.selectors import events_since, room_head
from streaming.publish import event_text, room_group

logger = logging.getLogger(__name__)

# A gap larger than this is not replayed by the hub; subscribers are told to
# reset instead (a room that busy between two reads means something broke).
HUB_REPAIR_LIMIT = 500


class Subscriber(Protocol):
    async def deliver(self, seq: int, text: str) -> None: ...

    async def reset(self, head: int) -> None: ...


@dataclass
class RoomFeed:
    subscribers: set[Subscriber] = field(default_factory=set)
    # Last seq forwarded to subscribers; None until the head has been read.
    last_seq: int | None = None
    early: list[tuple[int, str]] = field(default_factory=list)


class RoomHub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.feeds: dict[int, RoomFeed] = {}
        self.channel_name: str | None = None
        self._membership = asyncio.Lock()
        self._reader: asyncio.Task | None = None

    async def subscribe(self, room_id: int, subscriber: Subscriber) -> None:
        """Start delivering `room_id`'s events to `subscriber`.

        On return, every event after the room's current head will reach the
        subscriber, so it can read state from the database next without a gap.
        """
        async with self._membership:
            await self._ensure_reader()
            feed = self.feeds.get(room_id)
            if feed is None:
                feed = self.feeds[room_id] = RoomFeed()
                await self.layer.group_add(room_group(room_id), self.channel_name)
                head = await database_sync_to_async(room_head)(room_id=room_id)
                feed.last_seq = head or 0
                early, feed.early = feed.early, []
                for seq, text in early:
                    await self._forward(room_id, feed, seq, text)
            feed.subscribers.add(subscriber)

    async def unsubscribe(self, room_id: int, subscriber: Subscriber) -> None:
        async with self._membership:
            feed = self.feeds.get(room_id)
            if feed is None:
                return
            feed.subscribers.discard(subscriber)
            if not feed.subscribers:
                del self.feeds[room_id]
                await self.layer.group_discard(room_group(room_id), self.channel_name)

    async def _ensure_reader(self) -> None:
        if self._reader is not None and not self._reader.done():
            return
        self.channel_name = await self.layer.new_channel(prefix="hub")
        for room_id in self.feeds:
            await self.layer.group_add(room_group(room_id), self.channel_name)
        self._reader = asyncio.get_running_loop().create_task(self._read_forever())

    async def _read_forever(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("channel layer receive failed; rejoining", exc_info=True)
                await asyncio.sleep(0.5)
                await self._rejoin()
                continue
            if message.get("type") != "room.event":
                continue
            feed = self.feeds.get(message["room"])
            if feed is None:
                continue
            try:
                await self._forward(message["room"], feed, message["seq"], message["text"])
            except Exception:
                logger.exception("could not forward event %s of room %s", message.get("seq"), message["room"])

    async def _rejoin(self) -> None:
        """After losing the layer: join every group again and fill what was missed."""
        try:
            async with self._membership:
                for room_id in list(self.feeds):
                    await self.layer.group_add(room_group(room_id), self.channel_name)
            for room_id, feed in list(self.feeds.items()):
                if feed.last_seq is not None:
                    head = await database_sync_to_async(room_head)(room_id=room_id)
                    if head and head > feed.last_seq:
                        await self._repair(room_id, feed, head)
        except Exception:
            logger.warning("rejoining the channel layer failed; will retry", exc_info=True)

    async def _forward(self, room_id: int, feed: RoomFeed, seq: int, text: str) -> None:
        if feed.last_seq is None:
            feed.early.append((seq, text))
            return
        if seq <= feed.last_seq:
            return
        if seq > feed.last_seq + 1:
            await self._repair(room_id, feed, seq - 1)
        feed.last_seq = seq
        await self._fan_out(feed, seq, text)

    async def _repair(self, room_id: int, feed: RoomFeed, until: int) -> None:
        assert feed.last_seq is not None
        if until - feed.last_seq > HUB_REPAIR_LIMIT:
            feed.last_seq = until
            for subscriber in list(feed.subscribers):
                await subscriber.reset(until)
            return
        events, _ = await database_sync_to_async(events_since)(
            room_id=room_id, since=feed.last_seq, until=until, limit=HUB_REPAIR_LIMIT
        )
        for event in events:
            feed.last_seq = event.seq
            await self._fan_out(feed, event.seq, event_text(event_payload(event)))

    async def _fan_out(self, feed: RoomFeed, seq: int, text: str) -> None:
        for subscriber in list(feed.subscribers):
            try:
                await subscriber.deliver(seq, text)
            except Exception:
                logger.exception("delivering event %s failed", seq)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomHub] = weakref.WeakKeyDictionary()


def room_hub() -> RoomHub:
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = RoomHub()
    return hub

"""Per-process fan-out of room events to local sockets, in order and without gaps.

The process joins each room's channel-layer group once, however many sockets
it holds for that room, and forwards each event's pre-serialised texts to
them (one per audience: each socket sends the one for its reader). It also
keeps each room's stream contiguous: events from several publishing
processes can reach Redis out of order, and the layer may drop one, so a
jump in seq is filled from the database before anything is sent.

Noticing that the hub has lost the layer, and bringing it back, is its
LayerWatch's job (streaming/layer_watch.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from rooms.selectors import events_since, room_head
from streaming.audiences import EventTexts, event_texts, uniform_texts
from streaming.layer_watch import LayerWatch, cancel_until_done
from streaming.publish import SocketSelector, room_group
from todaysmeet.metrics import FANOUT_SECONDS, ROOMS_STREAMING, STREAM_REPAIRS, gauge_from
from todaysmeet.sync_threads import spawn_detached

logger = logging.getLogger(__name__)

# A gap larger than this is not replayed by the hub; subscribers are told to
# reset instead (a room that busy between two reads means something broke).
HUB_REPAIR_LIMIT = 500
# Sockets written between two yields to the event loop (each write is ~0.1 ms).
FAN_OUT_SLICE = 50


class Subscriber(Protocol):
    async def deliver(self, texts: EventTexts) -> None: ...

    async def close_for_room(
        self, room_id: int, code: int, keep_moderators: bool, only: SocketSelector | None = None
    ) -> None: ...


@dataclass
class RoomFeed:
    subscribers: set[Subscriber] = field(default_factory=set)
    # Last seq forwarded to subscribers; None until the head has been read.
    last_seq: int | None = None
    early: list[EventTexts] = field(default_factory=list)


class RoomHub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.feeds: dict[int, RoomFeed] = {}
        self.channel_name: str | None = None
        # Lock order: a room's `_room_membership`, then `_membership`, then
        # `_delivery`. A task holding one may take a later one, never an
        # earlier one, so no two tasks can wait for each other.
        #
        # Joining and leaving one room's group are serialised per room, so a
        # storm's first sockets of fifty rooms join them side by side.
        self._room_membership = KeyedLocks()
        # Making the hub's layer channel, and (re)joining all its groups.
        self._membership = asyncio.Lock()
        # Held while events go out, so a repair after losing the layer and
        # the live stream can't interleave and move a room's last_seq back.
        self._delivery = asyncio.Lock()
        self.watch = LayerWatch(self)
        self._reader: asyncio.Task | None = None

    async def subscribe(self, room_id: int, subscriber: Subscriber) -> None:
        """Start delivering `room_id`'s events to `subscriber`.

        On return, every event after the room's current head will reach the
        subscriber, so it can read state from the database next without a gap.
        """
        feed = self.feeds.get(room_id)
        if feed is not None and feed.last_seq is not None and self._reading():
            # The room is joined and its head known: nothing to wait for. In a
            # connect storm this keeps the sockets of joined rooms from queuing
            # behind the lock while another room does its first join.
            feed.subscribers.add(subscriber)
            return
        async with self._room_membership.hold(room_id):
            async with self._membership:
                await self._ensure_reader()
            feed = self.feeds.get(room_id)
            if feed is None:
                feed = self.feeds[room_id] = RoomFeed()
                try:
                    await self.layer.group_add(room_group(room_id), self.channel_name)
                    head = await database_sync_to_async(room_head)(room_id=room_id)
                except BaseException:
                    # A feed that never learnt its head would hold every later
                    # event as "early" for good; the next socket starts afresh.
                    del self.feeds[room_id]
                    raise
                async with self._delivery:
                    feed.last_seq = head or 0
                    early, feed.early = feed.early, []
                    for texts in early:
                        await self._forward(room_id, feed, texts)
            feed.subscribers.add(subscriber)

    async def unsubscribe(self, room_id: int, subscriber: Subscriber) -> None:
        # A rejoin running meanwhile may add back a group being left here;
        # the hub then ignores that room's events until the membership expires.
        async with self._room_membership.hold(room_id):
            feed = self.feeds.get(room_id)
            if feed is None:
                return
            feed.subscribers.discard(subscriber)
            if not feed.subscribers:
                del self.feeds[room_id]
                await self.layer.group_discard(room_group(room_id), self.channel_name)

    async def close(self) -> None:
        """Stop reading the layer and watching it; the next subscribe starts again."""
        reader, self._reader = self._reader, None
        await cancel_until_done(reader)
        await self.watch.stop()

    def room_ids(self) -> list[int]:
        return list(self.feeds)

    async def join_groups(self) -> None:
        """Join every room's group and the heartbeat groups again; adding twice is harmless."""
        async with self._membership:
            await self._join_groups()

    async def catch_up(self, room_id: int, head: int) -> bool:
        """Send the room's sockets what they lack up to `head`, from the database; whether they lacked any.

        One room per call, so live events of the other rooms go out in between.
        """
        async with self._delivery:
            feed = self.feeds.get(room_id)
            if feed is None or feed.last_seq is None or head <= feed.last_seq:
                return False
            STREAM_REPAIRS.labels("catch_up").inc()
            await self._repair(room_id, feed, head)
            return True

    def _reading(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def _ensure_reader(self) -> None:
        if self._reading():
            return
        self.channel_name = await self.layer.new_channel(prefix="hub")
        await self._join_groups()
        self._reader = spawn_detached(self._read_forever())
        self.watch.start()

    async def _join_groups(self) -> None:
        for room_id in list(self.feeds):
            await self.layer.group_add(room_group(room_id), self.channel_name)
        await self.watch.join_heartbeat_groups(self.channel_name)

    async def _read_forever(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
            except Exception:
                await self.watch.receive_failed()
                continue
            if message.get("type") == "hub.heartbeat":
                self.watch.heartbeat_arrived(message)
                continue
            if message.get("type") == "room.close":
                await self._close_sockets(message)
                continue
            if message.get("type") != "room.event":
                continue
            feed = self.feeds.get(message["room"])
            if feed is None:
                continue
            try:
                async with self._delivery:
                    await self._forward(message["room"], feed, EventTexts.from_layer_message(message))
                if "committed_at" in message:
                    FANOUT_SECONDS.observe(max(0.0, time.time() - message["committed_at"]))
            except Exception:
                logger.exception("could not forward event %s of room %s", message.get("seq"), message["room"])

    async def _close_sockets(self, message: dict) -> None:
        """A room asked its sockets, or some of them (`only`), to go: deleted, a new password, lost access."""
        feed = self.feeds.get(message["room"])
        if feed is None:
            return
        # Awaited before the next message is read, so nothing the room sends
        # after a password change reaches a socket that should have gone.
        outcomes = await asyncio.gather(
            *(
                subscriber.close_for_room(
                    message["room"], message["code"], message["keep_moderators"], message.get("only")
                )
                for subscriber in list(feed.subscribers)
            ),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                logger.error("closing a socket of room %s failed", message["room"], exc_info=outcome)

    async def _forward(self, room_id: int, feed: RoomFeed, texts: EventTexts) -> None:
        if feed.last_seq is None:
            feed.early.append(texts)
            return
        if texts.seq <= feed.last_seq:
            return
        if texts.seq > feed.last_seq + 1:
            STREAM_REPAIRS.labels("gap").inc()
            await self._repair(room_id, feed, texts.seq - 1)
        feed.last_seq = texts.seq
        await self._fan_out(feed, texts)

    async def _repair(self, room_id: int, feed: RoomFeed, until: int) -> None:
        assert feed.last_seq is not None
        if until - feed.last_seq > HUB_REPAIR_LIMIT:
            STREAM_REPAIRS.labels("reset").inc()
            feed.last_seq = until
            # Delivered like an event, so it can't overtake a starting socket's
            # hello and replay; a socket already at that head drops it as a duplicate.
            reset = uniform_texts(until, {"type": "reset", "seq": until})
            for subscriber in list(feed.subscribers):
                await subscriber.deliver(reset)
            return
        events, _ = await database_sync_to_async(events_since)(
            room_id=room_id, since=feed.last_seq, until=until, limit=HUB_REPAIR_LIMIT
        )
        for event in events:
            if event.seq <= feed.last_seq:
                continue
            feed.last_seq = event.seq
            await self._fan_out(feed, event_texts(event))

    async def _fan_out(self, feed: RoomFeed, texts: EventTexts) -> None:
        for index, subscriber in enumerate(list(feed.subscribers), start=1):
            try:
                await subscriber.deliver(texts)
            except Exception:
                logger.exception("delivering event %s failed", texts.seq)
            if index % FAN_OUT_SLICE == 0:
                # A send never suspends, so a big room would hold the loop for
                # its whole fan-out; let HTTP requests (the next post) in between.
                await asyncio.sleep(0)


class KeyedLocks:
    """One asyncio.Lock per key, forgotten once nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: object) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomHub] = weakref.WeakKeyDictionary()
gauge_from(ROOMS_STREAMING, lambda: sum(len(hub.feeds) for hub in list(_hubs.values())))


def room_hub() -> RoomHub:
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = RoomHub()
    return hub


async def room_hub_close() -> None:
    """Stop the running loop's hub, if it has one: the server is shutting down."""
    hub = _hubs.get(asyncio.get_running_loop())
    if hub is not None:
        await hub.close()

"""Per-process fan-out of room events to local sockets.

The process joins each room's channel-layer group once, however many sockets
it holds for that room, and forwards each event's pre-serialised text to
them. It also keeps each room's stream contiguous: events from several
publishing processes can reach Redis out of order, and the layer may drop
one, so a jump in seq is filled from the database before anything is sent.

It also notices when it has lost the layer, and repairs that on its own: see
`_watch_layer` and `_recover`; and it fills a quiet room's last events when
the layer dropped them and no later event showed the gap (`_repair_lost_tails`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import uuid
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from rooms.payloads import event_payload
from rooms.selectors import events_since, room_head, room_heads
from streaming.publish import event_text, room_group

logger = logging.getLogger(__name__)

# A gap larger than this is not replayed by the hub; subscribers are told to
# reset instead (a room that busy between two reads means something broke).
HUB_REPAIR_LIMIT = 500
# Sockets written between two yields to the event loop (each write is ~0.1 ms).
FAN_OUT_SLICE = 50
READER_STOP_RETRY_SECONDS = 0.1
# Every second the hub sends itself a heartbeat through a group of its own,
# the same path events take. A Redis that restarts (or fails over) forgets
# every group membership, and redis-py quietly reconnects, so nothing raises:
# only a heartbeat that stops coming back shows the hub is no longer hearing
# its rooms. A heartbeat is also dropped when the hub's channel is full,
# which means events were dropped too.
HUB_HEARTBEAT_SECONDS = 1.0
HUB_HEARTBEAT_TIMEOUT_SECONDS = 3.0
# channels_redis forgets a group member `group_expiry` after it joined (a day
# by default); a process lives longer than that, so it renews its memberships.
HUB_MEMBERSHIP_REFRESH_SECONDS = 3600.0
# The layer can drop a single event with no error anywhere (a full channel,
# a Redis blip). In a busy room the next event shows the gap; in a quiet one
# nothing would, so this often the hub compares its rooms with the database.
# An event already committed at the previous check and still missing now was
# lost, not late, and is filled from the database.
HUB_TAIL_CHECK_SECONDS = 5.0
# Retrying an unreachable layer: quickly at first, then at most this often.
HUB_RECOVERY_DELAY_FIRST = 0.1
HUB_RECOVERY_DELAY_MAX = 5.0


class Subscriber(Protocol):
    async def deliver(self, seq: int, text: str) -> None: ...

    async def reset(self, head: int) -> None: ...

    async def close_for_room(self, code: int, keep_moderators: bool) -> None: ...


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
        self.heartbeat_groups = _heartbeat_groups(self.layer)
        # When the newest heartbeat that came back through each group was sent.
        self._heartbeat_seen_at: dict[str, float] = {}
        self._membership = asyncio.Lock()
        # Joining and leaving one room's group are serialised per room, so a
        # storm's first sockets of fifty rooms join them side by side.
        self._room_membership = KeyedLocks()
        # Held while events go out, so a repair after losing the layer and
        # the live stream can't interleave and move a room's last_seq back.
        self._delivery = asyncio.Lock()
        # Each room's head in the database at the last tail check.
        self._heads_at_last_check: dict[int, int] = {}
        self._reader: asyncio.Task | None = None
        self._watcher: asyncio.Task | None = None
        self._recovery: asyncio.Task | None = None

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
                    for seq, text in early:
                        await self._forward(room_id, feed, seq, text)
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
        """Stop reading the layer; the next subscribe starts again.

        On Python 3.11 the Redis client can swallow a cancellation (its
        asyncio.wait_for returns a send that finished as the cancel arrived)
        and go on to block in the next read, so cancel until the reader ends.
        """
        tasks = (self._reader, self._watcher, self._recovery)
        self._reader = self._watcher = self._recovery = None
        for task in tasks:
            while task is not None and not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=READER_STOP_RETRY_SECONDS)

    def _reading(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def _ensure_reader(self) -> None:
        if self._reading():
            return
        self.channel_name = await self.layer.new_channel(prefix="hub")
        await self._join_all()
        # A context of its own: the tasks outlive the socket that started
        # them, whose context pins sync calls to a thread only while it is
        # open (todaysmeet/sync_threads.py).
        loop = asyncio.get_running_loop()
        self._reader = loop.create_task(self._read_forever(), context=contextvars.Context())
        if self._watcher is None or self._watcher.done():
            self._watcher = loop.create_task(self._watch_layer(), context=contextvars.Context())

    async def _join_all(self) -> None:
        """(Re)join every room's group and the heartbeat groups; adding twice is harmless."""
        for room_id in list(self.feeds):
            await self.layer.group_add(room_group(room_id), self.channel_name)
        for group in self.heartbeat_groups:
            await self.layer.group_add(group, self.channel_name)
        self._heartbeat_seen_at = dict.fromkeys(self.heartbeat_groups, asyncio.get_running_loop().time())

    async def _read_forever(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
            except Exception:
                _stop_if_cancelling()
                logger.warning("channel layer receive failed; rejoining", exc_info=True)
                await self._recover()
                continue
            if message.get("type") == "hub.heartbeat":
                group = message["group"]
                self._heartbeat_seen_at[group] = max(self._heartbeat_seen_at.get(group, 0.0), message["sent_at"])
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
                    await self._forward(message["room"], feed, message["seq"], message["text"])
            except Exception:
                logger.exception("could not forward event %s of room %s", message.get("seq"), message["room"])

    async def _close_sockets(self, message: dict) -> None:
        """A room asked its sockets to go (deleted, or its password changed)."""
        feed = self.feeds.get(message["room"])
        if feed is None:
            return
        # Awaited before the next message is read, so nothing the room sends
        # after a password change reaches a socket that should have gone.
        outcomes = await asyncio.gather(
            *(
                subscriber.close_for_room(message["code"], message["keep_moderators"])
                for subscriber in list(feed.subscribers)
            ),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                logger.error("closing a socket of room %s failed", message["room"], exc_info=outcome)

    async def _watch_layer(self) -> None:
        """Send heartbeats, notice when they stop coming back, renew memberships."""
        loop = asyncio.get_running_loop()
        # A quarter of the expiry leaves room for a few failed renewals.
        refresh_every = min(HUB_MEMBERSHIP_REFRESH_SECONDS, getattr(self.layer, "group_expiry", 86400) / 4)
        refreshed_at = tails_checked_at = loop.time()
        while True:
            await asyncio.sleep(HUB_HEARTBEAT_SECONDS)
            now = loop.time()
            if now - tails_checked_at >= HUB_TAIL_CHECK_SECONDS:
                tails_checked_at = now
                try:
                    await self._repair_lost_tails()
                except Exception:
                    # The database, not the layer: the next check tries again.
                    logger.warning("checking the rooms' heads failed", exc_info=True)
            try:
                if any(now - seen > HUB_HEARTBEAT_TIMEOUT_SECONDS for seen in self._heartbeat_seen_at.values()):
                    logger.warning("heartbeats stopped coming back through the channel layer; rejoining")
                    await self._recover()
                    refreshed_at = loop.time()
                elif now - refreshed_at >= refresh_every:
                    async with self._membership:
                        await self._join_all()
                    refreshed_at = now
                for group in self.heartbeat_groups:
                    await self.layer.group_send(group, {"type": "hub.heartbeat", "group": group, "sent_at": now})
            except Exception:
                _stop_if_cancelling()
                logger.warning("channel layer unreachable; rejoining", exc_info=True)
                await self._recover()

    async def _repair_lost_tails(self) -> None:
        """Fill what every room was missing at the previous check and still is: the layer lost it."""
        heads = await database_sync_to_async(room_heads)(room_ids=list(self.feeds))
        async with self._delivery:
            for room_id, head in self._heads_at_last_check.items():
                feed = self.feeds.get(room_id)
                if feed is not None and feed.last_seq is not None and head > feed.last_seq:
                    logger.warning("room %s: events up to %s never arrived; filling them in", room_id, head)
                    await self._repair(room_id, feed, head)
        self._heads_at_last_check = heads

    async def _recover(self) -> None:
        """Rejoin after losing the layer; the reader and the watcher share one attempt."""
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.get_running_loop().create_task(
                self._rejoin_until_back(), context=contextvars.Context()
            )
        # Shielded: the reader and the watcher wait on the same attempt, and
        # either may be cancelled alone; close() cancels the attempt itself.
        await asyncio.shield(self._recovery)

    async def _rejoin_until_back(self) -> None:
        delay = HUB_RECOVERY_DELAY_FIRST
        failures = 0
        while True:
            try:
                await self._rejoin()
            except Exception as error:
                failures += 1
                if failures == 1:
                    logger.warning("channel layer unreachable (%r); retrying until it is back", error)
                # Jittered, so the processes of a cluster don't all come back in step.
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 (not for security)
                delay = min(delay * 2, HUB_RECOVERY_DELAY_MAX)
                continue
            if failures:
                logger.info("channel layer back after %d failed attempts; rejoined %d rooms", failures, len(self.feeds))
            return

    async def _rejoin(self) -> None:
        """Join every group again, then fill from the database what was missed meanwhile.

        Joined first and read second, as a socket does: whatever commits in
        between arrives live and is dropped by seq.
        """
        async with self._membership:
            await self._join_all()
        heads = await database_sync_to_async(room_heads)(room_ids=list(self.feeds))
        for room_id, head in heads.items():
            # Room by room, so live events of the other rooms go out in between.
            async with self._delivery:
                feed = self.feeds.get(room_id)
                if feed is not None and feed.last_seq is not None and head > feed.last_seq:
                    await self._repair(room_id, feed, head)

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
            if event.seq <= feed.last_seq:
                continue
            feed.last_seq = event.seq
            await self._fan_out(feed, event.seq, event_text(event_payload(event)))

    async def _fan_out(self, feed: RoomFeed, seq: int, text: str) -> None:
        for index, subscriber in enumerate(list(feed.subscribers), start=1):
            try:
                await subscriber.deliver(seq, text)
            except Exception:
                logger.exception("delivering event %s failed", seq)
            if index % FAN_OUT_SLICE == 0:
                # A send never suspends, so a big room would hold the loop for
                # its whole fan-out; let HTTP requests (the next post) in between.
                await asyncio.sleep(0)


def _stop_if_cancelling() -> None:
    """Called on an error from the Redis client: if the task was told to stop, stop.

    The client can turn a cancellation into an error of its own on the way up
    (Python 3.11); retrying then would outlive the loop.
    """
    if asyncio.current_task().cancelling():
        raise asyncio.CancelledError from None


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


def _heartbeat_groups(layer) -> list[str]:
    """One private heartbeat group per Redis shard, so losing any one of them is noticed.

    channels_redis puts each group on the shard its name hashes to; names are
    tried until every shard has one.
    """
    shards = getattr(layer, "ring_size", 1)
    token = uuid.uuid4().hex
    groups: dict[int, str] = {}
    attempt = 0
    while len(groups) < shards:
        name = f"hub-heartbeat.{token}.{attempt}"
        groups.setdefault(layer.consistent_hash(name) if shards > 1 else 0, name)
        attempt += 1
    return list(groups.values())

"""Keeps a process's RoomHub hearing the channel layer, and brings it back when it stops.

Losing the layer often raises nothing at all: a Redis that restarts or fails
over forgets every group membership while redis-py quietly reconnects, a
full channel drops messages, and channels_redis forgets a group member a day
after it joined. So the watch, for its hub:

- sends the hub a heartbeat every second through one group per Redis shard,
  the path events take, and rejoins when one stops coming back or a read
  fails: with backoff until the layer answers, then it fills from the
  database what the hub's rooms missed meanwhile;
- renews the hub's memberships before they expire;
- compares the hub's rooms with the database every few seconds, for the last
  events of a quiet room, which no later event would show missing.

It reads channels_redis internals (`ring_size`, `consistent_hash`,
`group_expiry`): see requirements.txt.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from typing import Any, Protocol

from channels.db import database_sync_to_async

from rooms.selectors import room_heads
from todaysmeet.metrics import CHANNEL_LAYER_ERRORS, CHANNEL_LAYER_RECONNECTS
from todaysmeet.sync_threads import spawn_detached

logger = logging.getLogger(__name__)

# Every second the hub is sent a heartbeat; one not back within the timeout
# means the hub no longer hears its rooms. A heartbeat is also dropped when
# the hub's channel is full, which means events were dropped too.
HUB_HEARTBEAT_SECONDS = 1.0
HUB_HEARTBEAT_TIMEOUT_SECONDS = 3.0
# channels_redis forgets a group member `group_expiry` after it joined (a day
# by default); a process lives longer than that, so it renews its memberships.
HUB_MEMBERSHIP_REFRESH_SECONDS = 3600.0
# The layer can drop a single event with no error anywhere (a full channel,
# a Redis blip). In a busy room the next event shows the gap; in a quiet one
# nothing would, so this often the hub's rooms are compared with the database.
# An event already committed at the previous check and still missing now was
# lost, not late, and is filled from the database.
HUB_TAIL_CHECK_SECONDS = 5.0
# Retrying an unreachable layer: quickly at first, then at most this often.
HUB_RECOVERY_DELAY_FIRST = 0.1
HUB_RECOVERY_DELAY_MAX = 5.0
STOP_RETRY_SECONDS = 0.1


class WatchedHub(Protocol):
    """What the watch uses of its hub (streaming/hub.py)."""

    layer: Any

    def room_ids(self) -> list[int]: ...

    async def join_groups(self) -> None: ...

    async def catch_up(self, room_id: int, head: int) -> bool: ...


class LayerWatch:
    def __init__(self, hub: WatchedHub) -> None:
        self.hub = hub
        self.heartbeat_groups = _heartbeat_groups(hub.layer)
        # When the newest heartbeat that came back through each group was sent.
        self._heartbeat_seen_at: dict[str, float] = {}
        # Each room's head in the database at the last tail check.
        self._heads_at_last_check: dict[int, int] = {}
        self._watcher: asyncio.Task | None = None
        self._recovery: asyncio.Task | None = None

    def start(self) -> None:
        if self._watcher is None or self._watcher.done():
            self._watcher = spawn_detached(self._watch())

    async def stop(self) -> None:
        tasks = (self._watcher, self._recovery)
        self._watcher = self._recovery = None
        for task in tasks:
            await cancel_until_done(task)

    async def join_heartbeat_groups(self, channel_name: str) -> None:
        """Part of the hub's joining its groups; each heartbeat counts as just seen."""
        for group in self.heartbeat_groups:
            await self.hub.layer.group_add(group, channel_name)
        self._heartbeat_seen_at = dict.fromkeys(self.heartbeat_groups, asyncio.get_running_loop().time())

    def heartbeat_arrived(self, message: dict) -> None:
        group = message["group"]
        self._heartbeat_seen_at[group] = max(self._heartbeat_seen_at.get(group, 0.0), message["sent_at"])

    async def receive_failed(self) -> None:
        """The hub's read from the layer raised (call it from the except clause): rejoin."""
        _stop_if_cancelling()
        CHANNEL_LAYER_ERRORS.labels("receive").inc()
        logger.warning("channel layer receive failed; rejoining", exc_info=True)
        await self.recover()

    async def recover(self) -> None:
        """Rejoin after losing the layer; the hub's reader and the watch share one attempt."""
        if self._recovery is None or self._recovery.done():
            self._recovery = spawn_detached(self._rejoin_until_back())
        # Shielded: the reader and the watch wait on the same attempt, and
        # either may be cancelled alone; stop() cancels the attempt itself.
        await asyncio.shield(self._recovery)

    async def _watch(self) -> None:
        """Send heartbeats, notice when they stop coming back, renew memberships, check tails."""
        loop = asyncio.get_running_loop()
        # A quarter of the expiry leaves room for a few failed renewals.
        refresh_every = min(HUB_MEMBERSHIP_REFRESH_SECONDS, getattr(self.hub.layer, "group_expiry", 86400) / 4)
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
                    CHANNEL_LAYER_ERRORS.labels("heartbeat").inc()
                    logger.warning("heartbeats stopped coming back through the channel layer; rejoining")
                    await self.recover()
                    refreshed_at = loop.time()
                elif now - refreshed_at >= refresh_every:
                    await self.hub.join_groups()
                    refreshed_at = now
                for group in self.heartbeat_groups:
                    await self.hub.layer.group_send(group, {"type": "hub.heartbeat", "group": group, "sent_at": now})
            except Exception:
                _stop_if_cancelling()
                CHANNEL_LAYER_ERRORS.labels("heartbeat").inc()
                logger.warning("channel layer unreachable; rejoining", exc_info=True)
                await self.recover()

    async def _repair_lost_tails(self) -> None:
        """Fill what every room was missing at the previous check and still is: the layer lost it."""
        heads = await database_sync_to_async(room_heads)(room_ids=self.hub.room_ids())
        for room_id, head in self._heads_at_last_check.items():
            if await self.hub.catch_up(room_id, head):
                logger.warning("room %s: events up to %s never arrived; filled them in", room_id, head)
        self._heads_at_last_check = heads

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
            CHANNEL_LAYER_RECONNECTS.inc()
            if failures:
                logger.info(
                    "channel layer back after %d failed attempts; rejoined %d rooms",
                    failures,
                    len(self.hub.room_ids()),
                )
            return

    async def _rejoin(self) -> None:
        """Join every group again, then fill from the database what was missed meanwhile.

        Joined first and read second, as a socket does: whatever commits in
        between arrives live and is dropped by seq.
        """
        await self.hub.join_groups()
        heads = await database_sync_to_async(room_heads)(room_ids=self.hub.room_ids())
        for room_id, head in heads.items():
            await self.hub.catch_up(room_id, head)


async def cancel_until_done(task: asyncio.Task | None) -> None:
    """Cancel `task` and wait for it to end.

    On Python 3.11 the Redis client can swallow a cancellation (its
    asyncio.wait_for returns a send that finished as the cancel arrived) and
    go on to block in the next read, so cancel until the task ends.
    """
    while task is not None and not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=STOP_RETRY_SECONDS)


def _stop_if_cancelling() -> None:
    """Called on an error from the Redis client: if the task was told to stop, stop.

    The client can turn a cancellation into an error of its own on the way up
    (Python 3.11); retrying then would outlive the loop.
    """
    if asyncio.current_task().cancelling():
        raise asyncio.CancelledError from None


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

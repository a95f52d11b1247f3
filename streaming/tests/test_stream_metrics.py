"""What the stream tells the metrics: sockets, rooms, fan-out latency, replays and closes."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers
from prometheus_client import REGISTRY

from streaming.tests.sockets import post, room_path

pytestmark = pytest.mark.django_db(transaction=True)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_open_sockets_rooms_fan_out_replays_and_closes_are_measured(listen, room, participant, monkeypatch):
    # A layer of this test's own: the shared one may hold a lock an earlier
    # test's loop took, and the hub would then get the live event by repair.
    monkeypatch.setattr(channel_layers, "backends", {})
    fanned_out = sample("todaysmeet_fanout_latency_seconds_count")
    replays = sample("todaysmeet_stream_replays_total", kind="replay")
    closes = sample("todaysmeet_websocket_closes_total", code="1000")
    await post(room, participant.obj, "before")

    listener = await listen(room_path(room, since=0))
    await listener.frames_through(1)
    open_while_listening = sample("todaysmeet_websockets_open")
    rooms_while_listening = sample("todaysmeet_rooms_streaming")
    await post(room, participant.obj, "live")
    await listener.frames_through(2)
    await listener.close()

    assert open_while_listening >= 1
    assert rooms_while_listening >= 1
    assert sample("todaysmeet_stream_replays_total", kind="replay") == replays + 1
    assert sample("todaysmeet_fanout_latency_seconds_count") == fanned_out + 1
    assert sample("todaysmeet_websocket_closes_total", code="1000") == closes + 1

"""What a socket is sent when it connects: hello, then a replay or a reset."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from rooms.models import Room
from rooms.payloads import event_payload, room_payload
from rooms.selectors import events_since
from streaming.publish import event_text


@dataclass(frozen=True)
class StreamStart:
    head: int
    frames: list[str]


def room_id_for_name(name: str) -> int | None:
    return Room.objects.filter(name=name.lower()).values_list("pk", flat=True).first()


def stream_start(*, room_id: int, since: int | None, base_url: str) -> StreamStart:
    room = Room.objects.get(pk=room_id)
    head = room.seq
    frames = [event_text({"type": "hello", "room": room_payload(room, base_url=base_url), "seq": head})]
    if since is None or since == head:
        return StreamStart(head=head, frames=frames)
    if since > head or head - since > settings.STREAM_REPLAY_LIMIT:
        frames.append(event_text({"type": "reset", "seq": head}))
        return StreamStart(head=head, frames=frames)
    events, _ = events_since(room_id=room_id, since=since, until=head, limit=settings.STREAM_REPLAY_LIMIT)
    frames.extend(event_text(event_payload(event)) for event in events)
    return StreamStart(head=head, frames=frames)

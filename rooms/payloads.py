"""The one builder for each JSON shape the API and the stream send.

HTTP responses and websocket frames both call these, so the two can't drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, TypedDict

from django.conf import settings

from rooms.models import Message, Room, RoomEvent


class RoomPayload(TypedDict):
    name: str
    topic: str
    url: str
    created_at: str
    closes_at: str | None
    is_open: bool
    seq: int


class MessagePayload(TypedDict):
    id: int
    seq: int
    nickname: str
    text: str
    created_at: str
    client_id: str | None


class DeletedMessagePayload(TypedDict):
    id: int
    seq: int
    deleted: Literal[True]


class MessageCreatedEvent(TypedDict):
    type: Literal["message.created"]
    seq: int
    message: MessagePayload | DeletedMessagePayload


class MessageDeletedEvent(TypedDict):
    type: Literal["message.deleted"]
    seq: int
    message_id: int


EventPayload = MessageCreatedEvent | MessageDeletedEvent


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def public_base_url(fallback: str) -> str:
    """PUBLIC_URL when the operator set one, else what the client reached us by."""
    return (settings.PUBLIC_URL or fallback).rstrip("/")


def room_payload(room: Room, *, base_url: str) -> RoomPayload:
    return {
        "name": room.name,
        "topic": room.topic,
        "url": public_base_url(base_url) + room.get_absolute_url(),
        "created_at": timestamp(room.created_at),
        "closes_at": timestamp(room.closes_at),
        "is_open": room.is_open,
        "seq": room.seq,
    }


def message_payload(message: Message) -> MessagePayload | DeletedMessagePayload:
    if message.is_deleted:
        # A deleted message's words and author are never sent again.
        return {"id": message.pk, "seq": message.seq, "deleted": True}
    return {
        "id": message.pk,
        "seq": message.seq,
        "nickname": message.nickname,
        "text": message.text,
        "created_at": timestamp(message.created_at),
        "client_id": str(message.client_id) if message.client_id else None,
    }


def event_payload(event: RoomEvent) -> EventPayload:
    if event.type == RoomEvent.Type.MESSAGE_CREATED:
        return {"type": "message.created", "seq": event.seq, "message": message_payload(event.message)}
    if event.type == RoomEvent.Type.MESSAGE_DELETED:
        return {"type": "message.deleted", "seq": event.seq, "message_id": event.message_id}
    raise ValueError(f"unknown event type {event.type!r}")

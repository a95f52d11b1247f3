"""The one builder for each JSON shape the API and the stream send.

HTTP responses and websocket frames both call these, so the two can't drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, TypedDict

from django.conf import settings

from rooms.models import Message, ModeratorInvitation, Participant, Report, Room, RoomEvent

RoleName = Literal["participant", "owner", "moderator"]


class RoomStatePayload(TypedDict):
    name: str
    topic: str
    created_at: str
    closes_at: str
    is_open: bool
    seq: int
    lifetime: str
    paused: bool
    slow_mode_seconds: int
    is_private: bool
    joining_locked: bool


class RoomPayload(RoomStatePayload):
    url: str


class RoomModeratorPayload(RoomPayload):
    role: Literal["owner", "moderator"]
    open_reports: int


class ParticipantPayload(TypedDict):
    id: int
    nickname: str
    color: str
    muted: bool
    removed: bool


class ParticipantRef(TypedDict):
    id: int
    nickname: str


class ParticipantModeratorPayload(ParticipantPayload):
    post_count: int
    joined_at: str
    # Muted on joining, because a participant who joined earlier from the
    # same network address had been muted or removed: that one.
    muted_from: ParticipantRef | None


class MessagePayload(TypedDict):
    id: int
    seq: int
    nickname: str
    text: str
    created_at: str
    client_id: str | None
    participant_id: int | None
    color: str | None
    role: RoleName


class MessageModeratorPayload(MessagePayload):
    deleted: bool
    deleted_at: str | None
    deleted_by: str | None


class DeletedMessagePayload(TypedDict):
    id: int
    seq: int
    deleted: Literal[True]


class ReportPayload(TypedDict):
    id: int
    message: MessageModeratorPayload
    reason: str
    reporter: ParticipantPayload
    created_at: str
    resolved_at: str | None
    resolution: Literal["deleted", "dismissed"] | None
    resolved_by: str | None


class TranscriptRow(TypedDict):
    seq: int
    time: str
    nickname: str
    participant_id: int | None
    text: str
    deleted: bool
    deleted_at: str | None


class MessageCreatedEvent(TypedDict):
    type: Literal["message.created"]
    seq: int
    message: MessagePayload | DeletedMessagePayload


class MessageDeletedEvent(TypedDict):
    type: Literal["message.deleted"]
    seq: int
    message_id: int


class RoomUpdatedEvent(TypedDict):
    type: Literal["room.updated"]
    seq: int
    room: RoomStatePayload


class ParticipantUpdatedEvent(TypedDict):
    type: Literal["participant.updated"]
    seq: int
    participant: ParticipantPayload


class ReportCreatedEvent(TypedDict):
    type: Literal["report.created"]
    seq: int
    report_id: int
    message_id: int


class ReportResolvedEvent(TypedDict):
    type: Literal["report.resolved"]
    seq: int
    report_id: int
    message_id: int
    resolution: Literal["deleted", "dismissed"]


EventPayload = (
    MessageCreatedEvent
    | MessageDeletedEvent
    | RoomUpdatedEvent
    | ParticipantUpdatedEvent
    | ReportCreatedEvent
    | ReportResolvedEvent
)
# The events whose payload is stored with them (RoomEvent.data) rather than
# rebuilt from the message they point at.
SNAPSHOT_EVENT_TYPES = frozenset(
    {
        RoomEvent.Type.ROOM_UPDATED,
        RoomEvent.Type.PARTICIPANT_UPDATED,
        RoomEvent.Type.REPORT_CREATED,
        RoomEvent.Type.REPORT_RESOLVED,
    }
)


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def public_base_url(fallback: str) -> str:
    """PUBLIC_URL when the operator set one, else what the client reached us by."""
    return (settings.PUBLIC_URL or fallback).rstrip("/")


def room_url(room: Room, *, base_url: str) -> str:
    return public_base_url(base_url) + room.get_absolute_url()


def room_state_payload(room: Room) -> RoomStatePayload:
    """What anyone who may read the room sees of it, but its URL: what a room.updated event stores.

    A URL depends on the Host a request came by, so it is added at the edge
    (room_payload); a stored event would repeat one teacher's Host forever.
    """
    return {
        "name": room.name,
        "topic": room.topic,
        "created_at": timestamp(room.created_at),
        "closes_at": timestamp(room.closes_at),
        "is_open": room.is_open,
        "seq": room.seq,
        "lifetime": room.lifetime,
        "paused": room.paused,
        "slow_mode_seconds": room.slow_mode_seconds,
        "is_private": room.is_private,
        "joining_locked": room.joining_locked,
    }


def room_payload(room: Room, *, base_url: str) -> RoomPayload:
    """What anyone who may read the room sees of it, with the URL of its page."""
    return {**room_state_payload(room), "url": room_url(room, base_url=base_url)}


class LockedRoomPayload(TypedDict):
    name: str
    url: str
    is_private: Literal[True]
    is_open: bool


def room_locked_payload(room: Room, *, base_url: str) -> LockedRoomPayload:
    """What someone without the password may see of a private room: enough to ask for it."""
    return {
        "name": room.name,
        "url": room_url(room, base_url=base_url),
        "is_private": True,
        "is_open": room.is_open,
    }


def room_moderator_payload(room: Room, *, base_url: str, role: str, open_reports: int) -> RoomModeratorPayload:
    """The room as its owner and moderators see it."""
    return {**room_payload(room, base_url=base_url), "role": role, "open_reports": open_reports}


class ModeratorInvitationPayload(TypedDict):
    email: str
    invited_at: str


class InvitedRoomPayload(TypedDict):
    name: str
    topic: str
    url: str


class InviterPayload(TypedDict):
    name: str
    email: str


class InvitationPayload(TypedDict):
    id: int
    room: InvitedRoomPayload
    invited_by: InviterPayload
    invited_at: str


def moderator_invitation_payload(invitation: ModeratorInvitation) -> ModeratorInvitationPayload:
    """An invitation as the room's teachers see it: to whom, since when."""
    return {"email": invitation.email, "invited_at": timestamp(invitation.invited_at)}


def invitation_payload(invitation: ModeratorInvitation, *, base_url: str) -> InvitationPayload:
    """An invitation as the invited teacher sees it: which room, from whom (room and owner selected with it)."""
    room, owner = invitation.room, invitation.room.owner
    return {
        "id": invitation.pk,
        "room": {"name": room.name, "topic": room.topic, "url": room_url(room, base_url=base_url)},
        "invited_by": {"name": owner.name_in_rooms, "email": owner.email},
        "invited_at": timestamp(invitation.invited_at),
    }


def participant_payload(participant: Participant) -> ParticipantPayload:
    return {
        "id": participant.pk,
        "nickname": participant.nickname,
        "color": participant.color,
        "muted": participant.muted,
        "removed": participant.is_blocked,
    }


def participant_moderator_payload(participant: Participant, *, post_count: int) -> ParticipantModeratorPayload:
    """A participant as the room's teachers see them (muted_from read through select_related)."""
    source = participant.muted_from if participant.muted_from_id else None
    return {
        **participant_payload(participant),
        "post_count": post_count,
        "joined_at": timestamp(participant.joined_at),
        "muted_from": {"id": source.pk, "nickname": source.nickname} if source is not None else None,
    }


def _visible_message_payload(message: Message) -> MessagePayload:
    return {
        "id": message.pk,
        "seq": message.seq,
        "nickname": message.nickname,
        "text": message.text,
        "created_at": timestamp(message.created_at),
        "client_id": str(message.client_id) if message.client_id else None,
        "participant_id": message.participant_id,
        "color": message.color or None,
        "role": message.author_role,
    }


def message_payload(message: Message) -> MessagePayload | DeletedMessagePayload:
    if message.is_deleted:
        # A deleted message's words and author are never sent again.
        return {"id": message.pk, "seq": message.seq, "deleted": True}
    return _visible_message_payload(message)


def message_moderator_payload(message: Message) -> MessageModeratorPayload:
    """A message as evidence: deleted ones keep their text, marked with who removed them and when."""
    return {
        **_visible_message_payload(message),
        "deleted": message.is_deleted,
        "deleted_at": timestamp(message.deleted_at),
        "deleted_by": message.deleted_by.email if message.deleted_by_id else None,
    }


def report_payload(report: Report) -> ReportPayload:
    return {
        "id": report.pk,
        "message": message_moderator_payload(report.message),
        "reason": report.reason,
        "reporter": participant_payload(report.reporter),
        "created_at": timestamp(report.created_at),
        "resolved_at": timestamp(report.resolved_at),
        "resolution": report.resolution or None,
        "resolved_by": report.resolved_by.email if report.resolved_by_id else None,
    }


def transcript_row(message: Message) -> TranscriptRow:
    """One message of a downloaded transcript; the CSV columns are these keys, in this order."""
    return {
        "seq": message.seq,
        "time": timestamp(message.created_at),
        "nickname": message.nickname,
        "participant_id": message.participant_id,
        "text": message.text,
        "deleted": message.is_deleted,
        "deleted_at": timestamp(message.deleted_at),
    }


TRANSCRIPT_COLUMNS = tuple(TranscriptRow.__annotations__)


def event_payload(event: RoomEvent) -> EventPayload:
    if event.type == RoomEvent.Type.MESSAGE_CREATED:
        return {"type": "message.created", "seq": event.seq, "message": message_payload(event.message)}
    if event.type == RoomEvent.Type.MESSAGE_DELETED:
        return {"type": "message.deleted", "seq": event.seq, "message_id": event.message_id}
    if event.type in SNAPSHOT_EVENT_TYPES:
        return {"type": str(event.type), "seq": event.seq, **event.data}
    raise ValueError(f"unknown event type {event.type!r}")


def room_updated_data(room: Room) -> dict:
    """What a room.updated event carries besides its type and seq."""
    return {"room": room_state_payload(room)}


def participant_updated_data(participant: Participant) -> dict:
    return {"participant": participant_payload(participant)}


def report_created_data(report: Report) -> dict:
    return {"report_id": report.pk, "message_id": report.message_id}


def report_resolved_data(report: Report) -> dict:
    return {"report_id": report.pk, "message_id": report.message_id, "resolution": report.resolution}

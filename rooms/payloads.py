"""The one builder for each JSON shape the API and the stream send.

HTTP responses and websocket frames both call these, so the two can't drift.

What a reader may see of a message or an event depends on who they are in
the room, and that is decided here and nowhere else. A payload is built for
an audience: the room's moderators (everything, for accountability), the
participant it is about (their own held post, their own name in an
anonymous room), or the public (everyone else who may read the room). An
event the public may not know of is rendered for it as a `skip` that only
keeps its seq, so every stream stays gapless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, TypedDict
from zoneinfo import ZoneInfo

from django.conf import settings

from rooms.models import Message, ModeratorInvitation, Participant, Report, Room, RoomEvent, author_key_for

RoleName = Literal["participant", "owner", "moderator"]
StatusName = Literal["published", "held", "rejected"]
# Who a participant's post in an anonymous room is from, for everyone but the moderators.
ANONYMOUS_NICKNAME = "Anonymous"


class Audience(StrEnum):
    """Whom a payload is built for."""

    # Anyone who may read the room.
    PUBLIC = "public"
    # The participant the message or event is about: its author, the one muted.
    SUBJECT = "subject"
    # The room's owner and moderators.
    MODERATOR = "moderator"


@dataclass(frozen=True)
class Viewer:
    """Who reads: enough to tell the audience of anything they are sent.

    A socket keeps its viewer for its whole life (see streaming/consumers.py).
    """

    moderator: bool = False
    participant_id: int | None = None
    teacher_id: int | None = None

    @property
    def voter_key(self) -> str | None:
        """Whose upvotes are this viewer's: their participant's, or a moderator's own; None for anyone else."""
        if self.moderator:
            return author_key_for(teacher_id=self.teacher_id)
        if self.participant_id is not None:
            return author_key_for(participant_id=self.participant_id)
        return None

    def audience_for(self, subject_id: int | None) -> Audience:
        """The audience this viewer belongs to for something about participant `subject_id`."""
        if self.moderator:
            return Audience.MODERATOR
        if subject_id is not None and subject_id == self.participant_id:
            return Audience.SUBJECT
        return Audience.PUBLIC


PUBLIC_VIEWER = Viewer()


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
    review: bool
    word_filter: Literal["off", "hold", "mask"]
    anonymous: bool
    joining_locked: bool


class RoomPayload(RoomStatePayload):
    url: str


class RoomModeratorPayload(RoomPayload):
    role: Literal["owner", "moderator"]
    open_reports: int
    # Never on the stream: the list is the teachers' business, and up to
    # 200 words would not fit a frame.
    blocked_words: list[str]


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
    status: StatusName
    anonymous: bool
    upvotes: int
    pinned: bool
    answered: bool


class MessageForModeratorsPayload(MessagePayload, total=False):
    """A message for its moderators: the author's name and the words as written, and what the filter did."""

    # The word filter matched it (only ever true: absent otherwise).
    filtered: bool
    # What everyone else reads, when the filter starred some of it.
    masked_text: str


class MessageModeratorPayload(MessageForModeratorsPayload):
    """A message as evidence, deleted or not."""

    deleted: bool
    deleted_at: str | None
    deleted_by: str | None


class DeletedMessagePayload(TypedDict):
    id: int
    seq: int
    deleted: Literal[True]


class ReportPayload(TypedDict):
    id: int
    message: MessageModeratorPayload | MessagePayload | DeletedMessagePayload
    reason: str
    reporter: ParticipantPayload
    created_at: str
    resolved_at: str | None
    resolution: Literal["deleted", "dismissed"] | None
    resolved_by: str | None


UTC_ZONE = ZoneInfo("UTC")


class TranscriptRow(TypedDict):
    seq: int
    # In time_zone's offset ("Z" for UTC): the teacher reads their own clock, and the instant stays exact.
    time: str
    nickname: str
    participant_id: int | None
    text: str
    deleted: bool
    deleted_at: str | None
    # The IANA name of the zone the times are in.
    time_zone: str


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


class MessageHeldEvent(TypedDict):
    type: Literal["message.held"]
    seq: int
    message: MessagePayload | DeletedMessagePayload


class MessageRejectedEvent(TypedDict):
    type: Literal["message.rejected"]
    seq: int
    message_id: int


class MessageUpdatedEvent(TypedDict):
    type: Literal["message.updated"]
    seq: int
    message: MessagePayload | DeletedMessagePayload


class MessageRestoredEvent(TypedDict):
    """A deleted message is back, at its own seq: the message as it is now (deleted again, on a replay)."""

    type: Literal["message.restored"]
    seq: int
    message: MessagePayload | DeletedMessagePayload


class VoteCount(TypedDict):
    message_id: int
    upvotes: int


class MessageVotesEvent(TypedDict):
    type: Literal["message.votes"]
    seq: int
    votes: list[VoteCount]


class SkipFrame(TypedDict):
    """An event this reader may not know of: only its seq, so the stream stays gapless."""

    type: Literal["skip"]
    seq: int


EventPayload = (
    MessageCreatedEvent
    | MessageDeletedEvent
    | RoomUpdatedEvent
    | ParticipantUpdatedEvent
    | ReportCreatedEvent
    | ReportResolvedEvent
    | MessageHeldEvent
    | MessageRejectedEvent
    | MessageUpdatedEvent
    | MessageVotesEvent
    | MessageRestoredEvent
    | SkipFrame
)
# The events whose payload is stored with them (RoomEvent.data) rather than
# rebuilt from the message they point at.
SNAPSHOT_EVENT_TYPES = frozenset(
    {
        RoomEvent.Type.ROOM_UPDATED,
        RoomEvent.Type.PARTICIPANT_UPDATED,
        RoomEvent.Type.REPORT_CREATED,
        RoomEvent.Type.REPORT_RESOLVED,
        RoomEvent.Type.MESSAGE_VOTES,
    }
)
# Events that carry the message they are about, rendered as it is now.
MESSAGE_EVENT_TYPES = frozenset(
    {
        RoomEvent.Type.MESSAGE_CREATED,
        RoomEvent.Type.MESSAGE_UPDATED,
        RoomEvent.Type.MESSAGE_HELD,
        RoomEvent.Type.MESSAGE_RESTORED,
    }
)
# Events only the room's moderators and their subject know of: a post in
# the review queue and its refusal, and a participant's mute (a matter
# between them and the teachers, and a name in an anonymous room).
PRIVATE_EVENT_TYPES = frozenset(
    {RoomEvent.Type.MESSAGE_HELD, RoomEvent.Type.MESSAGE_REJECTED, RoomEvent.Type.PARTICIPANT_UPDATED}
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
        "review": room.review,
        "word_filter": room.word_filter,
        "anonymous": room.anonymous,
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
    return {
        **room_payload(room, base_url=base_url),
        "role": role,
        "open_reports": open_reports,
        "blocked_words": room.blocked_word_list,
    }


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


def _visible_message_payload(message: Message, audience: Audience) -> MessagePayload | MessageForModeratorsPayload:
    # An anonymous post names its author to the moderators and to the author only.
    unnamed = message.anonymous and audience == Audience.PUBLIC
    moderator = audience == Audience.MODERATOR
    payload = {
        "id": message.pk,
        "seq": message.seq,
        "nickname": ANONYMOUS_NICKNAME if unnamed else message.nickname,
        "text": message.text if moderator or not message.masked_text else message.masked_text,
        "created_at": timestamp(message.created_at),
        "client_id": str(message.client_id) if message.client_id else None,
        "participant_id": None if unnamed else message.participant_id,
        "color": None if unnamed else message.color or None,
        "role": message.author_role,
        "status": message.status,
        "anonymous": message.anonymous,
        "upvotes": message.upvotes,
        "pinned": message.pinned,
        "answered": message.answered,
    }
    # Only when there is something to add, so that most messages look the
    # same to everyone and the stream serialises them once (streaming/audiences.py).
    if moderator and message.filtered:
        payload["filtered"] = True
        if message.masked_text:
            payload["masked_text"] = message.masked_text
    return payload


def message_payload(
    message: Message, audience: Audience = Audience.PUBLIC
) -> MessagePayload | MessageForModeratorsPayload | DeletedMessagePayload:
    if message.is_deleted:
        # A deleted message's words and author are never sent again.
        return {"id": message.pk, "seq": message.seq, "deleted": True}
    return _visible_message_payload(message, audience)


def message_payload_for(
    message: Message, viewer: Viewer
) -> MessagePayload | MessageForModeratorsPayload | DeletedMessagePayload:
    return message_payload(message, viewer.audience_for(message.participant_id))


def message_moderator_payload(message: Message) -> MessageModeratorPayload:
    """A message as evidence: deleted ones keep their text, marked with who removed them and when."""
    return {
        **_visible_message_payload(message, Audience.MODERATOR),
        "deleted": message.is_deleted,
        "deleted_at": timestamp(message.deleted_at),
        "deleted_by": message.deleted_by.email if message.deleted_by_id else None,
    }


def report_payload(report: Report, viewer: Viewer) -> ReportPayload:
    """A report for the moderators, or for its reporter, who sees the message as they saw it."""
    message = (
        message_moderator_payload(report.message) if viewer.moderator else message_payload_for(report.message, viewer)
    )
    return {
        "id": report.pk,
        "message": message,
        "reason": report.reason,
        "reporter": participant_payload(report.reporter),
        "created_at": timestamp(report.created_at),
        "resolved_at": timestamp(report.resolved_at),
        "resolution": report.resolution or None,
        "resolved_by": report.resolved_by.email if report.resolved_by_id else None,
    }


def transcript_row(message: Message, zone: ZoneInfo = UTC_ZONE) -> TranscriptRow:
    """One message of a downloaded transcript, its times in `zone`; the CSV columns are these keys, in this order."""
    return {
        "seq": message.seq,
        "time": _zoned_timestamp(message.created_at, zone),
        "nickname": message.nickname,
        "participant_id": message.participant_id,
        "text": message.text,
        "deleted": message.is_deleted,
        "deleted_at": _zoned_timestamp(message.deleted_at, zone),
        "time_zone": zone.key,
    }


def _zoned_timestamp(value: datetime | None, zone: ZoneInfo) -> str | None:
    if value is None or zone.key == "UTC":
        return timestamp(value)
    return value.astimezone(zone).isoformat(timespec="milliseconds")


TRANSCRIPT_COLUMNS = tuple(TranscriptRow.__annotations__)


def skip_payload(seq: int) -> SkipFrame:
    return {"type": "skip", "seq": seq}


def event_subject(event: RoomEvent) -> int | None:
    """The participant an event is about (a message's author, the one muted), if any."""
    if event.message_id is not None:
        return event.message.participant_id
    if event.type == RoomEvent.Type.PARTICIPANT_UPDATED:
        return event.data["participant"]["id"]
    return None


def event_payload(event: RoomEvent, audience: Audience = Audience.PUBLIC) -> EventPayload:
    """The event as `audience` sees it; a skip for an event it may not know of."""
    if audience == Audience.PUBLIC and event.type in PRIVATE_EVENT_TYPES:
        return skip_payload(event.seq)
    if event.type in MESSAGE_EVENT_TYPES:
        return {"type": str(event.type), "seq": event.seq, "message": message_payload(event.message, audience)}
    if event.type in (RoomEvent.Type.MESSAGE_DELETED, RoomEvent.Type.MESSAGE_REJECTED):
        return {"type": str(event.type), "seq": event.seq, "message_id": event.message_id}
    if event.type in SNAPSHOT_EVENT_TYPES:
        return {"type": str(event.type), "seq": event.seq, **event.data}
    raise ValueError(f"unknown event type {event.type!r}")


def event_payload_for(event: RoomEvent, viewer: Viewer) -> EventPayload:
    return event_payload(event, viewer.audience_for(event_subject(event)))


def room_updated_data(room: Room) -> dict:
    """What a room.updated event carries besides its type and seq."""
    return {"room": room_state_payload(room)}


def participant_updated_data(participant: Participant) -> dict:
    return {"participant": participant_payload(participant)}


def report_created_data(report: Report) -> dict:
    return {"report_id": report.pk, "message_id": report.message_id}


def report_resolved_data(report: Report) -> dict:
    return {"report_id": report.pk, "message_id": report.message_id, "resolution": report.resolution}


def message_votes_data(counts: list[tuple[int, int]]) -> dict:
    """What a message.votes event carries: the latest count of each message, from (id, upvotes) pairs."""
    return {"votes": [{"message_id": message_id, "upvotes": upvotes} for message_id, upvotes in counts]}

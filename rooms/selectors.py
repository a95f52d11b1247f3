"""Reads: history pages, the event log that clients resume from, and what teachers look after."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from django.db.models import Case, Count, Q, QuerySet, Value, When

from accounts.models import Teacher
from rooms.models import (
    Message,
    MessageVote,
    ModeratorInvitation,
    Participant,
    Report,
    Role,
    Room,
    RoomEvent,
    RoomModerator,
)
from rooms.validation import is_room_name, room_name_key
from todaysmeet import clock
from todaysmeet.db.compiled_query import CompiledQuery

HISTORY_LIMIT_DEFAULT = 50
EVENTS_LIMIT_DEFAULT = 100
PAGE_LIMIT_MAX = 100
# Transcript rows read per round trip, and rendered per piece of the transcript
# page: big enough to keep the overhead small, small enough that memory stays
# flat for a room of any size.
TRANSCRIPT_CHUNK_SIZE = 500


def rooms_named(name: str) -> QuerySet[Room]:
    """The room called `name`, in any case, as a queryset of at most one row.

    The one place a name from a URL or a socket path meets the database. A
    name no room can have is not looked up: PostgreSQL rejects some (a NUL)
    with an error instead of finding nothing.
    """
    key = _room_name_lookup_key(name)
    return Room.objects.none() if key is None else Room.objects.filter(name=key)


def _room_name_lookup_key(name: str) -> str | None:
    """The key a room called `name` is stored under; None for a name no room can have."""
    key = room_name_key(name)
    return key if is_room_name(key) else None


# The reads every request or socket resume makes, compiled once per shape
# (todaysmeet/db/compiled_query.py): building their SQL cost more CPU than
# running them.
_ROOM_NAMED = CompiledQuery(
    lambda owner, *, name: (
        (Room.objects.select_related("owner") if owner else Room.objects).filter(name=name).order_by("pk")[:1]
    ),
    values={"name": str},
)


def room_named(name: str, *, with_owner: bool = False) -> Room | None:
    """The room called `name`, in any case (its owner read with it, if asked); None if there is none."""
    key = _room_name_lookup_key(name)
    return None if key is None else _ROOM_NAMED.first(with_owner, name=key)


def _messages_page(
    direction: Literal["since", "before", "head"],
    limit: int,
    include_deleted: bool,
    answered: bool | None,
    *,
    room_id: int,
    seq: int | None = None,
) -> QuerySet[Message]:
    """message_list's read: one more row than the page, to tell whether more lie beyond it."""
    visible = _published(room_id, include_deleted=include_deleted, answered=answered)
    if include_deleted:
        visible = visible.select_related("deleted_by")
    if direction == "since":
        return visible.filter(seq__gt=seq).order_by("seq")[: limit + 1]
    if direction == "before":
        visible = visible.filter(seq__lt=seq)
    return visible.order_by("-seq")[: limit + 1]


_MESSAGES_AT_CURSOR = CompiledQuery(_messages_page, values={"room_id": int, "seq": int})
_MESSAGES_AT_HEAD = CompiledQuery(_messages_page, values={"room_id": int})


def message_list(
    *,
    room: Room,
    before: int | None = None,
    since: int | None = None,
    limit: int = HISTORY_LIMIT_DEFAULT,
    include_deleted: bool = False,
    answered: bool | None = None,
) -> tuple[list[Message], bool]:
    """One page of published messages in ascending seq, and whether more lie beyond it.

    With `since`, the page starts just after it and "more" means newer; otherwise
    the page ends at `before` (or the head) and "more" means older. Deleted
    messages are left out unless `include_deleted` (for moderators);
    `answered` keeps only the answered ones, or only the others.
    """
    shape = (limit, include_deleted, answered)
    if since is not None:
        rows = _MESSAGES_AT_CURSOR.all("since", *shape, room_id=room.pk, seq=since)
        return rows[:limit], len(rows) > limit
    if before is not None:
        rows = _MESSAGES_AT_CURSOR.all("before", *shape, room_id=room.pk, seq=before)
    else:
        rows = _MESSAGES_AT_HEAD.all("head", *shape, room_id=room.pk)
    page = rows[:limit]
    page.reverse()
    return page, len(rows) > limit


def _published(room_id: int, *, include_deleted: bool = False, answered: bool | None = None) -> QuerySet[Message]:
    messages = Message.objects.filter(room_id=room_id, status=Message.Status.PUBLISHED)
    if not include_deleted:
        messages = messages.filter(deleted_at__isnull=True)
    if answered is not None:
        messages = messages.filter(answered=answered)
    return messages


def message_top(*, room: Room, limit: int, answered: bool | None = None) -> tuple[list[Message], bool]:
    """The most upvoted visible messages, ties to the newer; and whether more follow."""
    rows = list(_published(room.pk, answered=answered).order_by("-upvotes", "-seq")[: limit + 1])
    return rows[:limit], len(rows) > limit


def message_held_list(*, room: Room, limit: int, author_key: str | None = None) -> tuple[list[Message], bool]:
    """The review queue, oldest first (only `author_key`'s posts, if given); and whether more follow."""
    held = Message.objects.filter(room=room, status=Message.Status.HELD)
    if author_key is not None:
        held = held.filter(author_key=author_key)
    rows = list(held.order_by("seq")[: limit + 1])
    return rows[:limit], len(rows) > limit


_PINNED = CompiledQuery(
    lambda *, room_id: _published(room_id).filter(pinned=True).order_by("pk")[:1],
    values={"room_id": int},
)


def message_pinned(*, room: Room) -> Message | None:
    return _PINNED.first(room_id=room.pk)


def message_ids_upvoted(*, voter_key: str | None, messages: list[Message]) -> set[int]:
    """Which of `messages` the voter upvoted."""
    if voter_key is None or not messages:
        return set()
    voted = MessageVote.objects.filter(voter_key=voter_key, message__in=messages)
    return set(voted.values_list("message_id", flat=True))


def events_since(
    *, room_id: int, since: int, until: int | None = None, limit: int = EVENTS_LIMIT_DEFAULT
) -> tuple[list[RoomEvent], bool]:
    """Events with seq in (since, until], oldest first, and whether more follow."""
    if until is None:
        rows = _EVENTS_SINCE.all(limit, room_id=room_id, since=since)
    else:
        rows = _EVENTS_BETWEEN.all(limit, room_id=room_id, since=since, until=until)
    return rows[:limit], len(rows) > limit


def _events_page(limit: int, *, room_id: int, since: int, until: int | None = None) -> QuerySet[RoomEvent]:
    events = RoomEvent.objects.filter(room_id=room_id, seq__gt=since).select_related("message")
    if until is not None:
        events = events.filter(seq__lte=until)
    return events.order_by("seq")[: limit + 1]


_EVENTS_SINCE = CompiledQuery(_events_page, values={"room_id": int, "since": int})
_EVENTS_BETWEEN = CompiledQuery(_events_page, values={"room_id": int, "since": int, "until": int})


def room_head(*, room_id: int) -> int | None:
    return Room.objects.filter(pk=room_id).values_list("seq", flat=True).first()


def room_heads(*, room_ids: list[int]) -> dict[int, int]:
    """room id → head seq, for those of `room_ids` that still exist; one query."""
    return dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "seq"))


@dataclass(frozen=True)
class TeacherRoom:
    """A room on a teacher's dashboard, with what they need to see at a glance."""

    room: Room
    role: Role
    open_reports: int


def room_list_for_teacher(
    *, teacher: Teacher, query: str | None = None, state: Literal["open", "closed"] | None = None
) -> list[TeacherRoom]:
    """The rooms `teacher` owns or moderates, newest first; `query` is part of a name."""
    rooms = _rooms_run_by(teacher)
    if query:
        rooms = rooms.filter(name__contains=room_name_key(query))
    if state == "open":
        rooms = rooms.filter(closes_at__gt=clock.now())
    elif state == "closed":
        rooms = rooms.filter(closes_at__lte=clock.now())
    rooms = rooms.annotate(
        owned=Case(When(owner=teacher, then=Value(True)), default=Value(False)),
        open_report_count=Count("reports", filter=Q(reports__resolved_at__isnull=True)),
    ).order_by("-created_at", "-pk")
    return [
        TeacherRoom(room=room, role=Role.OWNER if room.owned else Role.MODERATOR, open_reports=room.open_report_count)
        for room in rooms
    ]


def _rooms_run_by(teacher: Teacher) -> QuerySet[Room]:
    moderated = RoomModerator.objects.filter(teacher=teacher).values("room_id")
    return Room.objects.filter(Q(owner=teacher) | Q(pk__in=moderated))


def room_ids_run_by(*, teacher: Teacher) -> list[int]:
    """The ids of the rooms `teacher` owns or moderates."""
    return list(_rooms_run_by(teacher).values_list("pk", flat=True))


def report_open_count(*, room: Room) -> int:
    return Report.objects.filter(room=room, resolved_at__isnull=True).count()


def moderator_invitation_list(*, room: Room) -> QuerySet[ModeratorInvitation]:
    """The room's invitations nobody has accepted or declined yet, oldest first."""
    return ModeratorInvitation.objects.filter(room=room).order_by("invited_at", "pk")


def invitation_list_for_teacher(*, teacher: Teacher) -> QuerySet[ModeratorInvitation]:
    """Invitations to co-moderate that wait for `teacher`, oldest first, with their rooms and owners."""
    return (
        ModeratorInvitation.objects.filter(email=teacher.email)
        .select_related("room__owner")
        .order_by("invited_at", "pk")
    )


def moderator_list(*, room: Room) -> list[Teacher]:
    return [link.teacher for link in RoomModerator.objects.filter(room=room).select_related("teacher")]


def teacher_list(*, room: Room) -> list[Teacher]:
    """The room's owner, then its co-moderators."""
    return [room.owner, *moderator_list(room=room)]


def participant_list(*, room: Room) -> QuerySet[Participant]:
    """Everyone who joined, in order of joining, each with `post_count` (deleted posts included)."""
    return (
        Participant.objects.filter(room=room)
        .select_related("muted_from")
        .annotate(post_count=Count("message"))
        .order_by("joined_at", "pk")
    )


def participant_for_browser(*, room: Room, browser_key_hash: str) -> Participant | None:
    """The participant this browser (by its key) last joined the room as, if any."""
    if not browser_key_hash:
        return None
    return Participant.objects.filter(room=room, browser_key_hash=browser_key_hash).order_by("-pk").first()


def participant_get(*, room: Room, participant_id: int) -> Participant:
    """One participant of the room, with `post_count` as participant_list has it."""
    return participant_list(room=room).get(pk=participant_id)


def report_list(*, room: Room, only_open: bool = True) -> QuerySet[Report]:
    reports = Report.objects.filter(room=room).select_related("message__deleted_by", "reporter", "resolved_by")
    if only_open:
        reports = reports.filter(resolved_at__isnull=True)
    return reports.order_by("created_at", "pk")


def report_get(*, room: Room, report_id: int) -> Report:
    """One report of the room, open or resolved, with the rows report_payload shows."""
    return report_list(room=room, only_open=False).get(pk=report_id)


def transcript_messages(*, room: Room, include_deleted: bool = False) -> Iterator[Message]:
    """A room's published messages in seq order, streamed from the database a chunk at a time."""
    messages = _published(room.pk, include_deleted=include_deleted)
    return messages.order_by("seq").iterator(chunk_size=TRANSCRIPT_CHUNK_SIZE)

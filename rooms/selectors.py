"""Reads: history pages and the event log that clients resume from."""

from __future__ import annotations

from rooms.models import Message, Room, RoomEvent

HISTORY_LIMIT_DEFAULT = 50
EVENTS_LIMIT_DEFAULT = 100
PAGE_LIMIT_MAX = 100


def message_list(
    *, room: Room, before: int | None = None, since: int | None = None, limit: int = HISTORY_LIMIT_DEFAULT
) -> tuple[list[Message], bool]:
    """One page of visible messages in ascending seq, and whether more lie beyond it.

    With `since`, the page starts just after it and "more" means newer; otherwise
    the page ends at `before` (or the head) and "more" means older.
    """
    visible = Message.objects.filter(room=room, deleted_at__isnull=True)
    if since is not None:
        rows = list(visible.filter(seq__gt=since).order_by("seq")[: limit + 1])
        return rows[:limit], len(rows) > limit
    if before is not None:
        visible = visible.filter(seq__lt=before)
    rows = list(visible.order_by("-seq")[: limit + 1])
    page = rows[:limit]
    page.reverse()
    return page, len(rows) > limit


def events_since(
    *, room_id: int, since: int, until: int | None = None, limit: int = EVENTS_LIMIT_DEFAULT
) -> tuple[list[RoomEvent], bool]:
    """Events with seq in (since, until], oldest first, and whether more follow."""
    events = RoomEvent.objects.filter(room_id=room_id, seq__gt=since).select_related("message")
    if until is not None:
        events = events.filter(seq__lte=until)
    rows = list(events.order_by("seq")[: limit + 1])
    return rows[:limit], len(rows) > limit


def room_head(*, room_id: int) -> int | None:
    return Room.objects.filter(pk=room_id).values_list("seq", flat=True).first()

"""Every change to rooms, participants, messages and reports goes through here.

Each service validates, writes inside one transaction, and hands its events to
the stream on commit, so a rolled-back write is never broadcast.

A service returns what it wrote: the row as stored, or whether anything
changed. It never shapes its answer for display: whatever a view shows
beyond that row (a count, related rows) the view reads afterwards through a
selector.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import Teacher
from accounts.selectors import teacher_for_email
from accounts.services import clean_email
from billing.entitlements import require_teacher_tools, room_settings_tools
from rooms.colors import participant_color
from rooms.models import (
    LIFETIME_SPANS,
    Message,
    MessageVote,
    Participant,
    Report,
    Role,
    Room,
    RoomEvent,
    RoomModerator,
)
from rooms.payloads import (
    message_votes_data,
    participant_updated_data,
    report_created_data,
    report_resolved_data,
    room_updated_data,
)
from rooms.selectors import teacher_list
from rooms.validation import (
    RoomChanges,
    clean_client_id,
    clean_lifetime,
    clean_message_changes,
    clean_message_text,
    clean_nickname,
    clean_report_reason,
    clean_room_changes,
    clean_room_name,
    clean_topic,
    nickname_key,
)
from rooms.word_filter import word_filter_check
from streaming.audiences import event_texts
from streaming.close_codes import CLOSE_ROOM_DELETED, CLOSE_UNAUTHORIZED
from streaming.publish import room_event_publish_on_commit, room_sockets_close_on_commit
from streaming.vote_flush import votes_flush_on_commit
from todaysmeet import clock
from todaysmeet.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthenticated
from todaysmeet.tokens import token_generate, token_hash

REPORT_ACTIONS = ("delete", "dismiss")
# Rooms deleted per transaction by the purge: each batch holds its locks briefly.
PURGE_BATCH_SIZE = 50
# A room records at most one message.votes event per interval, so a storm of
# upvotes is a few frames a second, however many processes take the votes.
VOTES_EVENT_INTERVAL = timedelta(milliseconds=250)
# Counts per message.votes event: a frame must stay under the server's 4 KiB
# limit (streaming/server.py); more waits for the next event.
VOTES_PER_EVENT = 50


def room_create(*, owner: Teacher, name: object, topic: object = None, lifetime: object = None) -> Room:
    cleaned_name = clean_room_name(name)
    cleaned_topic = clean_topic(topic)
    cleaned_lifetime = clean_lifetime(lifetime)
    require_teacher_tools(owner=owner, tools=["topic"] if cleaned_topic else [])
    if Room.objects.filter(name=cleaned_name).exists():
        raise Conflict("That room name is taken.", code="name_taken", field="name")
    created_at = clock.now()
    try:
        with transaction.atomic():
            return Room.objects.create(
                name=cleaned_name,
                topic=cleaned_topic,
                owner=owner,
                lifetime=cleaned_lifetime,
                created_at=created_at,
                closes_at=created_at + LIFETIME_SPANS[cleaned_lifetime],
            )
    except IntegrityError:
        raise Conflict("That room name is taken.", code="name_taken", field="name") from None


def room_update(*, room: Room, changes: Mapping[str, object]) -> Room:
    """Apply a teacher's changes to the room's settings; returns the room as stored.

    Nothing effective to change means no event. A new password retires every
    participant and closes every socket but the teachers'; removing the
    password leaves everyone in.
    """
    cleaned = clean_room_changes(changes)
    require_teacher_tools(owner=room.owner, tools=room_settings_tools(room=room, changes=cleaned))
    password_hash = _password_hash_before_lock(room, cleaned.password)
    with transaction.atomic():
        locked_room = _lock_room(room)
        changed = _room_settings_set(locked_room, cleaned) + _room_password_set(locked_room, password_hash)
        if not changed:
            return locked_room
        locked_room.save(update_fields=changed)
        # Numbered before the payload is built: the room in it carries this event's seq.
        seq = _next_seq(locked_room)
        _store_event(locked_room, seq, RoomEvent.Type.ROOM_UPDATED, data=room_updated_data(locked_room))
        if "password_version" in changed:
            # After the event, so a teacher's socket sees the change before anyone leaves.
            room_sockets_close_on_commit(locked_room.pk, CLOSE_UNAUTHORIZED, keep_moderators=True)
    return locked_room


def _password_hash_before_lock(room: Room, password: str | None) -> str | None:
    """The hash to store for `password` ("" to remove it; None when it is not being changed).

    Hashing is slow on purpose, so it happens before the room is locked: every
    post in the room waits for that lock. The password already set keeps its
    hash, so setting it again is no change.
    """
    if not password:
        return password
    current = Room.objects.filter(pk=room.pk).values_list("password_hash", flat=True).first() or ""
    if current and check_password(password, current):
        return current
    return make_password(password)


def _room_settings_set(locked_room: Room, changes: RoomChanges) -> list[str]:
    """Set on the locked room what `changes` alters; returns the fields changed."""
    changed: list[str] = []
    for field in ("topic", "paused", "slow_mode_seconds", "review", "word_filter", "blocked_words", "anonymous"):
        value = getattr(changes, field)
        if value is not None and getattr(locked_room, field) != value:
            setattr(locked_room, field, value)
            changed.append(field)
    if changes.closed is not None and changes.closed == locked_room.is_open:
        now = clock.now()
        # Reopening gives the room a whole new lifetime from now.
        locked_room.closes_at = now if changes.closed else now + locked_room.lifetime_span
        changed.append("closes_at")
    return changed


def _room_password_set(locked_room: Room, password_hash: str | None) -> list[str]:
    """Store the new password's hash; returns the fields changed.

    A new password moves the version on, which retires everyone who joined
    with the old one; removing the password leaves them in.
    """
    if password_hash is None or locked_room.password_hash == password_hash:
        return []
    locked_room.password_hash = password_hash
    if not password_hash:
        return ["password_hash"]
    locked_room.password_version += 1
    return ["password_hash", "password_version"]


def room_delete(*, room: Room) -> None:
    """Remove the room and everything in it, and close every socket on it."""
    with transaction.atomic():
        _rooms_delete([room.pk])


def rooms_purge(*, closed_before: datetime, dry_run: bool = False) -> int:
    """Delete every room that closed before `closed_before`; returns how many.

    Works in batches, each its own transaction, so it can run from cron next
    to live traffic and pick up where an interrupted run stopped.
    """
    closed = Room.objects.filter(closes_at__lt=closed_before)
    if dry_run:
        return closed.count()
    purged = 0
    while True:
        with transaction.atomic():
            # Locked, and re-filtered under the lock: a room reopened meanwhile is kept.
            batch = list(closed.select_for_update().order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH_SIZE])
            if not batch:
                return purged
            _rooms_delete(batch)
        purged += len(batch)


def _rooms_delete(room_ids: list[int]) -> None:
    # Children first, each one DELETE by room: the ORM's own cascade would load
    # every message of a large room into memory to delete it.
    RoomEvent.objects.filter(room_id__in=room_ids).delete()
    Report.objects.filter(room_id__in=room_ids).delete()
    MessageVote.objects.filter(message__room_id__in=room_ids).delete()
    Message.objects.filter(room_id__in=room_ids).delete()
    Participant.objects.filter(room_id__in=room_ids).delete()
    RoomModerator.objects.filter(room_id__in=room_ids).delete()
    Room.objects.filter(pk__in=room_ids).delete()
    for room_id in room_ids:
        room_sockets_close_on_commit(room_id, CLOSE_ROOM_DELETED)


def moderator_add(*, room: Room, email: object) -> tuple[Teacher, bool]:
    """Make the teacher with `email` a moderator of `room`; returns them and whether that is new."""
    require_teacher_tools(owner=room.owner, tools=["moderators"])
    teacher = teacher_for_email(clean_email(email))
    if teacher is None:
        raise NotFound("No teacher has signed up with that email.", code="teacher_not_found", field="email")
    if teacher.pk == room.owner_id:
        raise Invalid("That is the room's owner, who already runs it.", field="email")
    try:
        with transaction.atomic():
            _, created = RoomModerator.objects.get_or_create(room=room, teacher=teacher)
    except IntegrityError:
        # The same teacher added twice at once: the other request made them one.
        created = False
    return teacher, created


def moderator_remove(*, room: Room, email: object) -> bool:
    """Returns whether the teacher was a moderator; removing a non-moderator is not an error."""
    try:
        cleaned_email = clean_email(email)
    except Invalid:
        return False
    deleted, _ = RoomModerator.objects.filter(room=room, teacher__email=cleaned_email).delete()
    return deleted > 0


def participant_join(
    *, room: Room, nickname: object, password: object = None, rejoining: Participant | None = None
) -> tuple[Participant, str]:
    """Admit someone to `room`; returns the participant and a fresh bearer token.

    A browser that already joined keeps its participant (same id, colour and
    mute) under the new nickname, so a teacher can still tell who said what.
    """
    if room.is_private:
        if password is None or password == "":
            raise Forbidden("This room is private. Enter its password to join.", code="password_required")
        if not isinstance(password, str) or not check_password(password, room.password_hash):
            raise Forbidden("That is not the room's password.", code="wrong_password", field="password")
    cleaned_nickname = clean_nickname(nickname)
    if nickname_key(cleaned_nickname) in {nickname_key(teacher.name_in_rooms) for teacher in teacher_list(room=room)}:
        # Teachers post under their name too; a student must not pass as one.
        raise Invalid(
            "That is the name of a teacher in this room. Pick another nickname.",
            code="nickname_reserved",
            field="nickname",
        )
    token = token_generate()
    if rejoining is not None and rejoining.room_id == room.pk:
        with transaction.atomic():
            # Fresh from the row: a teacher may have muted them since the caller read it.
            participant = Participant.objects.select_for_update().get(pk=rejoining.pk)
            participant.nickname = cleaned_nickname
            participant.token_hash = token_hash(token)
            participant.password_version = room.password_version
            participant.save(update_fields=["nickname", "token_hash", "password_version"])
        return participant, token
    participant = Participant.objects.create(
        room=room,
        nickname=cleaned_nickname,
        # Round the palette, so the first people in a room all differ.
        color=participant_color(Participant.objects.filter(room=room).count()),
        token_hash=token_hash(token),
        password_version=room.password_version,
        post_allowance=settings.POST_RATE_BURST,
        post_allowance_at=clock.now(),
    )
    return participant, token


def participant_mute(*, room: Room, participant: Participant, muted: bool) -> tuple[Participant, bool]:
    """Mute or unmute; returns the participant and whether anything changed."""
    require_teacher_tools(owner=room.owner, tools=["mute"] if muted else [])
    with transaction.atomic():
        locked_room = _lock_room(room)
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.muted == muted:
            return locked, False
        locked.muted = muted
        locked.save(update_fields=["muted"])
        _record_event(locked_room, RoomEvent.Type.PARTICIPANT_UPDATED, data=participant_updated_data(locked))
    return locked, True


def _admit_participant_post(room: Room, participant: Participant) -> None:
    """Refuse a participant's post the room's rules don't allow, and count it if they do."""
    if participant.password_version != room.password_version:
        raise Unauthenticated("The room's password changed. Join again.", code="invalid_token")
    if room.paused:
        raise Forbidden("The teacher has paused this room.", code="room_paused")
    if participant.muted:
        raise Forbidden("A teacher has muted you in this room.", code="muted")
    now = clock.now()
    if room.slow_mode_seconds and participant.last_posted_at is not None:
        wait = timedelta(seconds=room.slow_mode_seconds) - (now - participant.last_posted_at)
        if wait > timedelta(0):
            raise RateLimited(
                f"Slow mode is on: one post every {room.slow_mode_seconds} seconds.",
                code="slow_mode",
                retry_after=wait.total_seconds(),
            )
    _spend_post_allowance(participant, now)
    participant.last_posted_at = now
    participant.save(update_fields=["post_allowance", "post_allowance_at", "last_posted_at"])


def _spend_post_allowance(participant: Participant, now: datetime) -> None:
    """Token bucket: a burst of POST_RATE_BURST, refilled at POST_RATE_PER_MINUTE."""
    refill_per_second = settings.POST_RATE_PER_MINUTE / 60
    allowance = participant.post_allowance
    if participant.post_allowance_at is not None:
        elapsed = max(0.0, (now - participant.post_allowance_at).total_seconds())
        allowance = min(float(settings.POST_RATE_BURST), allowance + elapsed * refill_per_second)
    else:
        allowance = float(settings.POST_RATE_BURST)
    if allowance < 1:
        raise RateLimited("You are posting too fast. Wait a moment.", retry_after=(1 - allowance) / refill_per_second)
    participant.post_allowance = allowance - 1
    participant.post_allowance_at = now


def _lock_room(room: Room) -> Room:
    # Every event in a room is numbered under this row lock: whoever holds it
    # commits before the next seq can be taken, so seq order is commit order.
    locked = Room.objects.select_for_update().filter(pk=room.pk).first()
    if locked is None:
        # Deleted while this request was on its way.
        raise NotFound("There is no room with that name.", code="room_not_found")
    return locked


def _next_seq(room: Room) -> int:
    room.seq += 1
    room.save(update_fields=["seq"])
    return room.seq


def _store_event(
    room: Room, seq: int, event_type: str, *, message: Message | None = None, data: dict | None = None
) -> RoomEvent:
    event = RoomEvent.objects.create(room=room, seq=seq, type=event_type, message=message, data=data)
    room_event_publish_on_commit(room.pk, event_texts(event))
    return event


def _record_event(
    room: Room, event_type: str, *, message: Message | None = None, data: dict | None = None
) -> RoomEvent:
    return _store_event(room, _next_seq(room), event_type, message=message, data=data)


def author_key(author: Participant | Teacher) -> str:
    """ "p<id>" or "t<id>": one column to tell authors (and voters) apart, whatever they are."""
    return f"p{author.pk}" if isinstance(author, Participant) else f"t{author.pk}"


def message_post(
    *, room: Room, author: Participant | Teacher, text: object, client_id: object = None
) -> tuple[Message, bool]:
    """Store a message; returns it and whether it is new.

    A repeated `client_id` from the same author returns the original message
    and changes nothing, so clients can retry a post whose answer they lost.
    `author` is a participant of the room, or its owner or a moderator.

    A participant's post may be held for review (the room's review setting,
    or its word filter in "hold" mode): it is stored with status "held" and
    only its author and the moderators learn of it. Teachers' posts are
    never held, filtered or anonymous.
    """
    cleaned_client_id: uuid.UUID | None = clean_client_id(client_id)
    key = author_key(author)
    if isinstance(author, Participant):
        nickname, role, color = author.nickname, Role.PARTICIPANT, author.color
    else:
        role = Role.OWNER if author.pk == room.owner_id else Role.MODERATOR
        nickname, color = author.name_in_rooms, ""

    with transaction.atomic():
        locked_room = _lock_room(room)
        if cleaned_client_id is not None:
            original = Message.objects.filter(room=locked_room, author_key=key, client_id=cleaned_client_id).first()
            if original is not None:
                return original, False
        # Only now: a retry gets its original answer whatever text it carries.
        cleaned_text = clean_message_text(text)
        if not locked_room.is_open:
            raise Forbidden("This room is closed.", code="room_closed")
        message = Message(
            room=locked_room,
            participant=author if isinstance(author, Participant) else None,
            teacher=author if isinstance(author, Teacher) else None,
            author_key=key,
            author_role=role,
            nickname=nickname,
            color=color,
            text=cleaned_text,
            client_id=cleaned_client_id,
        )
        # Teachers may post in a paused room and are never slowed or limited.
        if isinstance(author, Participant):
            _admit_participant_post(locked_room, Participant.objects.select_for_update().get(pk=author.pk))
            _apply_room_rules(locked_room, message)
        message.seq = _next_seq(locked_room)
        message.save(force_insert=True)
        held = message.status == Message.Status.HELD
        event_type = RoomEvent.Type.MESSAGE_HELD if held else RoomEvent.Type.MESSAGE_CREATED
        _store_event(locked_room, message.seq, event_type, message=message)
    return message, True


def _apply_room_rules(locked_room: Room, message: Message) -> None:
    """The word filter, the review queue and anonymity, as the room has them now, on a participant's post."""
    if locked_room.word_filter != Room.WordFilter.OFF:
        # Under the lock, with the settings as stored: ~0.1 ms (rooms/word_filter.py).
        result = word_filter_check(message.text, blocked_words=locked_room.blocked_words)
        message.filtered = result.matched
        if result.matched and locked_room.word_filter == Room.WordFilter.MASK:
            message.masked_text = result.masked
    if locked_room.review or (message.filtered and locked_room.word_filter == Room.WordFilter.HOLD):
        message.status = Message.Status.HELD
    message.anonymous = locked_room.anonymous


def message_approve(*, room: Room, message: Message) -> bool:
    """Publish a held message to everyone, at the approval's seq; returns False if it already was."""
    with transaction.atomic():
        locked_room = _lock_room(room)
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status == Message.Status.PUBLISHED:
            return False
        if locked.status == Message.Status.REJECTED:
            raise Conflict("That message was rejected; it can't be published now.", code="message_rejected")
        # It appears where it is approved: after everything its readers have seen.
        locked.seq = _next_seq(locked_room)
        locked.status = Message.Status.PUBLISHED
        locked.save(update_fields=["seq", "status"])
        _store_event(locked_room, locked.seq, RoomEvent.Type.MESSAGE_CREATED, message=locked)
    return True


def message_reject(*, room: Room, message: Message) -> bool:
    """Refuse a held message (its author and the moderators are told); returns False if it already was."""
    with transaction.atomic():
        locked_room = _lock_room(room)
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status == Message.Status.REJECTED:
            return False
        if locked.status == Message.Status.PUBLISHED:
            raise Conflict("That message is already published; delete it instead.", code="message_published")
        locked.status = Message.Status.REJECTED
        locked.save(update_fields=["status"])
        _record_event(locked_room, RoomEvent.Type.MESSAGE_REJECTED, message=locked)
    return True


def message_update(*, room: Room, message: Message, changes: Mapping[str, object]) -> Message:
    """Pin or unpin, mark answered or not; returns the message as stored.

    At most one message is pinned per room: pinning another unpins the first.
    Each message that changes is one message.updated event.
    """
    cleaned = clean_message_changes(changes)
    with transaction.atomic():
        locked_room = _lock_room(room)
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if not locked.is_visible:
            # Deleted since the caller looked.
            raise NotFound("There is no such message in this room.", code="message_not_found")
        if cleaned.pinned and not locked.pinned:
            for other in Message.objects.select_for_update().filter(room=locked_room, pinned=True):
                other.pinned = False
                other.save(update_fields=["pinned"])
                _record_event(locked_room, RoomEvent.Type.MESSAGE_UPDATED, message=other)
        changed = [
            field
            for field in ("pinned", "answered")
            if getattr(cleaned, field) is not None and getattr(cleaned, field) != getattr(locked, field)
        ]
        for field in changed:
            setattr(locked, field, getattr(cleaned, field))
        if changed:
            locked.save(update_fields=changed)
            _record_event(locked_room, RoomEvent.Type.MESSAGE_UPDATED, message=locked)
    return locked


def message_vote(*, room: Room, message: Message, voter: Participant | Teacher, upvote: bool) -> int:
    """Upvote a message, or take the upvote back; returns its count. Voting twice changes nothing.

    No room lock: votes on one message queue only on that message's row, and
    the count goes out later, coalesced (votes_flush).
    """
    if not room.is_open:
        raise Forbidden("This room is closed.", code="room_closed")
    key = author_key(voter)
    with transaction.atomic():
        if upvote:
            try:
                with transaction.atomic():
                    MessageVote.objects.create(message=message, voter_key=key)
                changed = True
            except IntegrityError:
                changed = False
        else:
            changed = MessageVote.objects.filter(message=message, voter_key=key).delete()[0] > 0
        counted = Message.objects.filter(pk=message.pk)
        if changed:
            counted.update(upvotes=F("upvotes") + (1 if upvote else -1))
            votes_flush_on_commit(room.pk, votes_flush)
        return counted.values_list("upvotes", flat=True).get()


def votes_flush(*, room_id: int) -> float | None:
    """Record a message.votes event with every count that changed since the last one.

    Returns the seconds to wait before flushing again (too soon after the
    room's last votes event, or more counts than one event takes), or None
    when nothing is left to announce.
    """
    with transaction.atomic():
        locked_room = Room.objects.select_for_update().filter(pk=room_id).first()
        if locked_room is None:
            return None
        if locked_room.votes_event_at is not None:
            wait = (locked_room.votes_event_at + VOTES_EVENT_INTERVAL - clock.now()).total_seconds()
            if wait > 0:
                return wait
        # Locked: a vote on one of these waits until this event is stored,
        # and the next flush announces it.
        changed = list(
            Message.objects.select_for_update()
            .filter(room=locked_room)
            .exclude(upvotes=F("upvotes_published"))
            .order_by("pk")
            .values_list("pk", "upvotes")[: VOTES_PER_EVENT + 1]
        )
        if not changed:
            return None
        counts = changed[:VOTES_PER_EVENT]
        Message.objects.filter(pk__in=[pk for pk, _ in counts]).update(upvotes_published=F("upvotes"))
        event = _record_event(locked_room, RoomEvent.Type.MESSAGE_VOTES, data=message_votes_data(counts))
        locked_room.votes_event_at = event.created_at
        locked_room.save(update_fields=["votes_event_at"])
    return VOTES_EVENT_INTERVAL.total_seconds() if len(changed) > VOTES_PER_EVENT else None


def message_delete(*, room: Room, message: Message, deleted_by: Teacher) -> bool:
    """Hide a message from everyone; returns False if it was already deleted.

    The row stays as evidence of what was said and who removed it, and any
    open reports on it are resolved as "deleted".
    """
    with transaction.atomic():
        return _message_delete_locked(_lock_room(room), message, deleted_by)


def _message_delete_locked(locked_room: Room, message: Message, deleted_by: Teacher) -> bool:
    locked_message = Message.objects.select_for_update().get(pk=message.pk)
    if locked_message.status == Message.Status.HELD:
        # A deletion is news to everyone; a held post is no news to them yet.
        raise Conflict("That message is waiting for review: approve or reject it.", code="message_held")
    if locked_message.is_deleted or locked_message.status == Message.Status.REJECTED:
        return False
    now = clock.now()
    locked_message.deleted_at = now
    locked_message.deleted_by = deleted_by
    # Its message.deleted takes it off every screen, the pinned place included.
    locked_message.pinned = False
    locked_message.save(update_fields=["deleted_at", "deleted_by", "pinned"])
    _record_event(locked_room, RoomEvent.Type.MESSAGE_DELETED, message=locked_message)
    for report in Report.objects.select_for_update().filter(message=locked_message, resolved_at__isnull=True):
        _report_resolve_locked(locked_room, report, Report.Resolution.DELETED, deleted_by, now)
    return True


def report_create(*, room: Room, reporter: Participant, message: Message, reason: object = None) -> tuple[Report, bool]:
    """File a report for the moderators; returns it and whether it is new.

    A participant has at most one open report per message: reporting again
    returns that one, so a double click is not two reports.
    """
    cleaned_reason = clean_report_reason(reason)
    with transaction.atomic():
        locked_room = _lock_room(room)
        existing = Report.objects.filter(message=message, reporter=reporter, resolved_at__isnull=True).first()
        if existing is not None:
            return existing, False
        if not Message.objects.filter(pk=message.pk, deleted_at__isnull=True, status=Message.Status.PUBLISHED).exists():
            raise NotFound("There is no such message in this room.", code="message_not_found")
        report = Report.objects.create(room=locked_room, message=message, reporter=reporter, reason=cleaned_reason)
        _record_event(locked_room, RoomEvent.Type.REPORT_CREATED, data=report_created_data(report))
    return report, True


def report_resolve(*, room: Room, report: Report, action: object, resolved_by: Teacher) -> bool:
    """Delete the reported message or dismiss the report; returns False if it was already resolved."""
    if action not in REPORT_ACTIONS:
        raise Invalid("The action is “delete” or “dismiss”.", field="action")
    with transaction.atomic():
        locked_room = _lock_room(room)
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if not locked.is_open:
            return False
        if action == "delete":
            # Resolves this report and every other open one on the message.
            if not _message_delete_locked(locked_room, locked.message, resolved_by):
                _report_resolve_locked(locked_room, locked, Report.Resolution.DELETED, resolved_by, clock.now())
        else:
            _report_resolve_locked(locked_room, locked, Report.Resolution.DISMISSED, resolved_by, clock.now())
    return True


def _report_resolve_locked(
    locked_room: Room, report: Report, resolution: str, resolved_by: Teacher, now: datetime
) -> None:
    report.resolved_at = now
    report.resolution = resolution
    report.resolved_by = resolved_by
    report.save(update_fields=["resolved_at", "resolution", "resolved_by"])
    _record_event(locked_room, RoomEvent.Type.REPORT_RESOLVED, data=report_resolved_data(report))

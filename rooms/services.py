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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from accounts.emails import RESEND_INTERVAL, address_email_send, teacher_email_send
from accounts.models import SentEmail, Teacher
from accounts.selectors import teacher_for_email
from accounts.services import clean_email
from billing.entitlements import require_teacher_tools, room_settings_tools
from rooms.access import removed_error
from rooms.colors import participant_color
from rooms.models import (
    LIFETIME_SPANS,
    Message,
    MessageVote,
    ModeratorInvitation,
    Participant,
    Report,
    Role,
    Room,
    RoomAddress,
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
from rooms.selectors import room_ids_run_by, teacher_list
from rooms.validation import (
    NICKNAME_MAX,
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
from streaming.close_codes import CLOSE_REMOVED, CLOSE_ROOM_DELETED, CLOSE_UNAUTHORIZED
from streaming.publish import (
    participant_sockets,
    room_event_publish_on_commit,
    room_sockets_close_on_commit,
    rooms_sockets_close_on_commit,
    session_sockets,
    teacher_sockets,
)
from streaming.vote_flush import votes_flush_on_commit
from todaysmeet import clock
from todaysmeet.db.compiled_query import CompiledQuery
from todaysmeet.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, ServiceError, Unauthenticated
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
        raise Conflict(gettext("That room name is taken."), code="name_taken", field="name")
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
        raise Conflict(gettext("That room name is taken."), code="name_taken", field="name") from None


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
    slow_before = locked_room.slow_mode_seconds
    for field in (
        "topic",
        "paused",
        "slow_mode_seconds",
        "review",
        "word_filter",
        "blocked_words",
        "anonymous",
        "joining_locked",
    ):
        value = getattr(changes, field)
        if value is not None and getattr(locked_room, field) != value:
            setattr(locked_room, field, value)
            changed.append(field)
    if "slow_mode_seconds" in changed and bool(slow_before) != bool(locked_room.slow_mode_seconds):
        # Switched on or off; a new interval while it is on keeps counting from when it began.
        locked_room.slow_mode_since = clock.now() if locked_room.slow_mode_seconds else None
        changed.append("slow_mode_since")
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
    RoomAddress.objects.filter(room_id__in=room_ids).delete()
    RoomModerator.objects.filter(room_id__in=room_ids).delete()
    ModeratorInvitation.objects.filter(room_id__in=room_ids).delete()
    Room.objects.filter(pk__in=room_ids).delete()
    rooms_sockets_close_on_commit(room_ids, CLOSE_ROOM_DELETED)


def moderator_invite(*, room: Room, email: object) -> tuple[ModeratorInvitation, bool]:
    """Invite whoever holds `email` to co-moderate the room; returns the invitation and whether it is new.

    The same whether or not a teacher has the address, so the owner learns
    nothing about who has an account: a teacher is emailed a link to accept
    it on their rooms page, anyone else a link to sign up with the address
    first. Inviting again emails again, at most every RESEND_INTERVAL.
    """
    require_teacher_tools(owner=room.owner, tools=["moderators"])
    cleaned_email = clean_email(email)
    if cleaned_email == room.owner.email:
        raise Invalid(gettext("That is the room's owner, who already runs it."), field="email")
    if RoomModerator.objects.filter(room=room, teacher__email=cleaned_email).exists():
        raise Conflict(gettext("That teacher already co-moderates this room."), code="already_moderator", field="email")
    now = clock.now()
    with transaction.atomic():
        invitation, created = ModeratorInvitation.objects.select_for_update().get_or_create(
            room=room, email=cleaned_email
        )
        if invitation.emailed_at is None or now - invitation.emailed_at >= RESEND_INTERVAL:
            invitation.emailed_at = now
            invitation.save(update_fields=["emailed_at"])
            transaction.on_commit(partial(_moderator_invitation_email, invitation.pk))
    return invitation, created


def _moderator_invitation_email(invitation_id: int) -> None:
    invitation = ModeratorInvitation.objects.select_related("room__owner").filter(pk=invitation_id).first()
    if invitation is None:
        return
    owner = invitation.room.owner
    context = {"room_name": invitation.room.name, "owner_name": owner.name_in_rooms, "owner_email": owner.email}
    teacher = teacher_for_email(invitation.email)
    if teacher is not None:
        teacher_email_send(
            teacher=teacher,
            kind=SentEmail.Kind.MODERATOR_INVITATION,
            context={**context, "accept_path": reverse("rooms:dashboard")},
        )
    else:
        signup_path = f"{reverse('accounts:signup')}?{urlencode({'next': reverse('rooms:dashboard')})}"
        address_email_send(
            to=invitation.email,
            kind=SentEmail.Kind.MODERATOR_INVITATION,
            context={**context, "signup_path": signup_path},
        )


def moderator_invitation_accept(*, invitation: ModeratorInvitation, teacher: Teacher) -> RoomModerator:
    """The invited teacher accepts: they co-moderate the room from now on.

    Only with a verified address: the invitation went to the address, and an
    account made before sign-ups were confirmed may not hold it.
    """
    if not teacher.email_verified:
        raise Forbidden(
            gettext("Verify your email address first (your account page sends the link): the invitation went to it."),
            code="email_unverified",
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                link, _ = RoomModerator.objects.get_or_create(room_id=invitation.room_id, teacher=teacher)
        except IntegrityError:
            # Accepted twice at once: the other request made them one.
            link = RoomModerator.objects.get(room_id=invitation.room_id, teacher=teacher)
        ModeratorInvitation.objects.filter(pk=invitation.pk).delete()
    return link


def moderator_invitation_decline(*, invitation: ModeratorInvitation) -> None:
    ModeratorInvitation.objects.filter(pk=invitation.pk).delete()


def moderator_remove(*, room: Room, email: object) -> bool:
    """Stop `email` co-moderating the room, or cancel its invitation; returns whether there was either.

    Removing someone who is neither is not an error.

    Their sockets on the room close with 4401 at once, in every process: a
    private room is no longer theirs to read, and a public one's stream may
    carry what only its teachers see. Their pages reconnect as what they now are.
    """
    try:
        cleaned_email = clean_email(email)
    except Invalid:
        return False
    with transaction.atomic():
        cancelled, _ = ModeratorInvitation.objects.filter(room=room, email=cleaned_email).delete()
        links = RoomModerator.objects.select_for_update().filter(room=room, teacher__email=cleaned_email)
        teacher_ids = list(links.values_list("teacher_id", flat=True))
        links.delete()
        for teacher_id in teacher_ids:
            room_sockets_close_on_commit(room.pk, CLOSE_UNAUTHORIZED, only=teacher_sockets(teacher_id))
    return bool(teacher_ids) or cancelled > 0


def browser_signed_out(*, teacher: Teacher, session_key: str | None, joined_room_ids: Iterable[int]) -> None:
    """A browser's teacher signed out: close, with 4401, the sockets its session opened that relied on it.

    Those on the rooms the teacher runs (a private one is no longer theirs to
    read, a public one's stream may carry what only teachers see) and on the
    private rooms the session had joined as a participant (signing out forgets
    that too). Sockets elsewhere read public rooms, which anyone may.
    """
    if not session_key:
        return
    private_joined = Room.objects.filter(pk__in=list(joined_room_ids)).exclude(password_hash="")
    room_ids = set(room_ids_run_by(teacher=teacher)) | set(private_joined.values_list("pk", flat=True))
    rooms_sockets_close_on_commit(sorted(room_ids), CLOSE_UNAUTHORIZED, only=session_sockets(session_key))


def participant_join(
    *,
    room: Room,
    nickname: object,
    password: object = None,
    rejoining: Participant | None = None,
    caller: Participant | None = None,
    browser_key_hash: str = "",
    address_hash: str = "",
) -> tuple[Participant, str]:
    """Admit someone to `room`; returns the participant and a fresh bearer token.

    Someone who joined before (`rejoining`: the participant their browser's
    session or key names) keeps their participant, with its id, colour, mute,
    limits and reports, under the new nickname, so a teacher can still tell
    who said what and nothing a teacher set is undone. A newcomer takes on
    from their address what a teacher set there before they came (see
    _inherited_from_address).

    A nickname is one person's in the room (see _refuse_taken_nickname); the
    one `rejoining` or `caller` (a client joining again with its token) has
    is still theirs to take.
    """
    if room.is_private:
        if password is None or password == "":
            raise Forbidden(gettext("This room is private. Enter its password to join."), code="password_required")
        if not isinstance(password, str) or not check_password(password, room.password_hash):
            raise Forbidden(gettext("That is not the room's password."), code="wrong_password", field="password")
    cleaned_nickname = clean_nickname(nickname)
    key = nickname_key(cleaned_nickname)
    teacher_keys = {nickname_key(teacher.name_in_rooms) for teacher in teacher_list(room=room)}
    if key in teacher_keys:
        # Teachers post under their name too; a student must not pass as one.
        raise Invalid(
            gettext("That is the name of a teacher in this room. Pick another nickname."),
            code="nickname_reserved",
            field="nickname",
        )
    token = token_generate()
    own_ids = {person.pk for person in (rejoining, caller) if person is not None and person.room_id == room.pk}
    if rejoining is not None and rejoining.room_id == room.pk:
        with transaction.atomic():
            locked_room = _lock_room(room)
            # Fresh from the row: a teacher may have muted or removed them since the caller read it.
            participant = Participant.objects.select_for_update().get(pk=rejoining.pk)
            if participant.is_blocked:
                raise removed_error()
            _refuse_taken_nickname(locked_room, cleaned_nickname, key, own_ids=own_ids, teacher_keys=teacher_keys)
            participant.nickname = cleaned_nickname
            participant.nickname_key = key
            participant.token_hash = token_hash(token)
            participant.password_version = room.password_version
            changed = ["nickname", "nickname_key", "token_hash", "password_version"]
            # Joined before browsers had keys (or from another one): this browser is them now.
            if browser_key_hash and participant.browser_key_hash != browser_key_hash:
                participant.browser_key_hash = browser_key_hash
                changed.append("browser_key_hash")
            if address_hash and not participant.address_hash:
                participant.address_hash = address_hash
                changed.append("address_hash")
            participant.save(update_fields=changed)
        return participant, token
    if room.joining_locked:
        raise Forbidden(gettext("The teacher has locked this room: nobody new can join it now."), code="joining_locked")
    with transaction.atomic():
        # Under the room's lock, so two people asking for one nickname at once can't both have it.
        locked_room = _lock_room(room)
        _refuse_taken_nickname(locked_room, cleaned_nickname, key, own_ids=own_ids, teacher_keys=teacher_keys)
        participant = Participant.objects.create(
            room=room,
            nickname=cleaned_nickname,
            nickname_key=key,
            # Round the palette, so the first people in a room all differ.
            color=participant_color(Participant.objects.filter(room=room).count()),
            token_hash=token_hash(token),
            password_version=room.password_version,
            post_allowance=settings.POST_RATE_BURST,
            post_allowance_at=clock.now(),
            browser_key_hash=browser_key_hash,
            address_hash=address_hash,
            **_inherited_from_address(room, address_hash),
        )
    return participant, token


def _refuse_taken_nickname(
    locked_room: Room, nickname: str, key: str, *, own_ids: set[int], teacher_keys: set[str]
) -> None:
    """Refuse, with a free one to use instead, a nickname someone else in the room goes by.

    Only those who joined within the room's last lifetime hold a name: a room
    reopened term after term doesn't run out of "sam"s. Any case or
    compatibility form of it is the same name (nickname_key).
    """
    recent = Participant.objects.filter(room=locked_room, joined_at__gte=clock.now() - locked_room.lifetime_span)
    if not recent.filter(nickname_key=key).exclude(pk__in=own_ids).exists():
        return
    taken = set(recent.exclude(pk__in=own_ids).values_list("nickname_key", flat=True)) | teacher_keys
    raise Conflict(
        gettext("Someone in this room is already called “%(nickname)s”.") % {"nickname": nickname},
        code="nickname_taken",
        field="nickname",
        suggestion=_nickname_suggestion(nickname, taken=taken),
    )


def _nickname_suggestion(nickname: str, *, taken: set[str]) -> str:
    """ "sam 2", "sam 3", …: the first that is free, shortened to fit a nickname's length."""
    number = 2
    while True:
        suffix = f" {number}"
        # A cut may end on a joiner, which holds nothing together any more.
        candidate = nickname[: NICKNAME_MAX - len(suffix)].rstrip(" \u200d") + suffix
        if nickname_key(candidate) not in taken:
            return candidate
        number += 1


def _inherited_from_address(room: Room, address_hash: str) -> dict[str, object]:
    """What a newcomer from this address takes on in the room, as Participant fields.

    Only what a teacher set *before* they came: a mute (a participant from the
    address whom a teacher muted or removed, and who still is), and slow mode's
    wait since the address's last post. Those already in the room are never
    touched, so a class behind one school address goes on as before; a student
    who clears cookies or opens a private window to shed a mute comes back muted.
    """
    if not address_hash:
        return {}
    inherited: dict[str, object] = {}
    # A teacher's own mute, not one passed on: unmuting its source ends it for good.
    source = (
        Participant.objects.filter(room=room, address_hash=address_hash, muted=True, muted_from__isnull=True)
        .order_by("-pk")
        .first()
    )
    if source is not None:
        inherited.update(muted=True, muted_from=source)
    # Made here rather than at the address's first post, which would pay for it.
    address = _room_address(room, address_hash)
    if address.last_posted_at is not None:
        inherited["last_posted_at"] = address.last_posted_at
    return inherited


def participant_mute(*, room: Room, participant: Participant, muted: bool) -> tuple[Participant, bool]:
    """Mute or unmute; returns the participant and whether anything changed.

    Unmuting someone also unmutes those who took their mute on joining from
    their address: most likely the same student, and the teacher forgave them.
    """
    require_teacher_tools(owner=room.owner, tools=["mute"] if muted else [])
    with transaction.atomic():
        locked_room = _lock_room(room)
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.muted == muted:
            return locked, False
        _participant_muted_set(locked_room, locked, muted)
        if not muted:
            for follower in Participant.objects.select_for_update().filter(room=locked_room, muted_from=locked):
                _participant_muted_set(locked_room, follower, False)
    return locked, True


def _participant_muted_set(locked_room: Room, locked: Participant, muted: bool) -> None:
    # A teacher's own mute (or unmute) replaces any mute taken from the address.
    locked.muted = muted
    locked.muted_from = None
    locked.save(update_fields=["muted", "muted_from"])
    _record_event(locked_room, RoomEvent.Type.PARTICIPANT_UPDATED, data=participant_updated_data(locked))


def participant_block(*, room: Room, participant: Participant, blocked: bool) -> tuple[Participant, bool]:
    """Remove and block a participant, or let them back; returns them and whether anything changed.

    Blocked, their sockets close at once, their token and their browser no
    longer act in the room, and they count as muted, so identities made
    later from their address start muted. Letting them back leaves them
    muted: unmuting is a second, deliberate step.

    Free on every plan: it is the tool that stops harassment.
    """
    with transaction.atomic():
        locked_room = _lock_room(room)
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.is_blocked == blocked:
            return locked, False
        locked.blocked_at = clock.now() if blocked else None
        changed = ["blocked_at"]
        if blocked:
            locked.muted = True
            locked.muted_from = None
            changed += ["muted", "muted_from"]
        locked.save(update_fields=changed)
        _record_event(locked_room, RoomEvent.Type.PARTICIPANT_UPDATED, data=participant_updated_data(locked))
        if blocked:
            room_sockets_close_on_commit(locked_room.pk, CLOSE_REMOVED, only=participant_sockets(locked))
    return locked, True


def _admit_participant_post(room: Room, participant: Participant) -> None:
    """Refuse a participant's post the room's rules don't allow, and count it if they do."""
    if participant.password_version != room.password_version:
        raise Unauthenticated(gettext("The room's password changed. Join again."), code="invalid_token")
    if participant.is_blocked:
        raise removed_error()
    if room.paused:
        raise Forbidden(gettext("The teacher has paused this room."), code="room_paused")
    if participant.muted:
        raise Forbidden(gettext("A teacher has muted you in this room."), code="muted")
    now = clock.now()
    if room.slow_mode_seconds and _counts_for_slow_mode(room, participant.last_posted_at):
        wait = timedelta(seconds=room.slow_mode_seconds) - (now - participant.last_posted_at)
        if wait > timedelta(0):
            raise RateLimited(
                ngettext(
                    "Slow mode is on: one post every %(seconds)s second.",
                    "Slow mode is on: one post every %(seconds)s seconds.",
                    room.slow_mode_seconds,
                )
                % {"seconds": room.slow_mode_seconds},
                code="slow_mode",
                retry_after=wait.total_seconds(),
            )
    # Participants who joined before addresses counted have none.
    address = _room_address(room, participant.address_hash) if participant.address_hash else None
    _spend_post_allowances(participant, address, now)
    participant.last_posted_at = now
    participant.save(update_fields=["post_allowance", "post_allowance_at", "last_posted_at"])


def _counts_for_slow_mode(room: Room, posted_at: datetime | None) -> bool:
    """Whether a post made at `posted_at` makes the participant wait: only one since slow mode was switched on."""
    if posted_at is None:
        return False
    # Rooms whose slow mode was on before it was dated count every post, as they did.
    return room.slow_mode_since is None or posted_at >= room.slow_mode_since


@dataclass(frozen=True)
class PostRate:
    """A token bucket's shape: a burst, refilled at a steady rate."""

    burst: int
    per_minute: int
    refusal: str

    @property
    def refill_per_second(self) -> float:
        return self.per_minute / 60


def _post_rates() -> tuple[PostRate, PostRate]:
    """The participant's bucket and the address's; read when used, so tests can change the settings."""
    return (
        PostRate(
            settings.POST_RATE_BURST, settings.POST_RATE_PER_MINUTE, gettext("You are posting too fast. Wait a moment.")
        ),
        PostRate(
            settings.ADDRESS_POST_RATE_BURST,
            settings.ADDRESS_POST_RATE_PER_MINUTE,
            gettext("Too many posts from your network in this room just now. Wait a moment."),
        ),
    )


def _spend_post_allowances(participant: Participant, address: RoomAddress | None, now: datetime) -> None:
    """Token buckets: one post from the participant's, and from their address's if they have one.

    Both are checked before either is spent, so a refused post costs nothing.
    The address's last post is noted too (see _inherited_from_address).
    """
    participant_rate, address_rate = _post_rates()
    buckets = [(participant, participant_rate)] + ([(address, address_rate)] if address is not None else [])
    allowances = [_allowance_now(bucket, now, rate) for bucket, rate in buckets]
    for allowance, (_, rate) in zip(allowances, buckets, strict=True):
        if allowance < 1:
            raise RateLimited(rate.refusal, retry_after=(1 - allowance) / rate.refill_per_second)
    for allowance, (bucket, _) in zip(allowances, buckets, strict=True):
        bucket.post_allowance, bucket.post_allowance_at = allowance - 1, now
    if address is not None:
        address.last_posted_at = now
        address.save(update_fields=["post_allowance", "post_allowance_at", "last_posted_at"])


def _allowance_now(bucket: Participant | RoomAddress, now: datetime, rate: PostRate) -> float:
    """Posts the bucket holds now: what it held, refilled since, up to the burst."""
    if bucket.post_allowance_at is None:
        return float(rate.burst)
    elapsed = max(0.0, (now - bucket.post_allowance_at).total_seconds())
    return min(float(rate.burst), bucket.post_allowance + elapsed * rate.refill_per_second)


# Read by every participant's post, under the room's lock: compiled once
# (todaysmeet/db/compiled_query.py).
_PARTICIPANT_LOCKED = CompiledQuery(
    lambda *, participant_id: Participant.objects.select_for_update().filter(pk=participant_id)[:1],
    values={"participant_id": int},
)
_ROOM_ADDRESS = CompiledQuery(
    lambda *, room_id, address_hash: RoomAddress.objects.filter(room_id=room_id, address_hash=address_hash)[:1],
    values={"room_id": int, "address_hash": str},
)


def _participant_locked(participant: Participant) -> Participant:
    locked = _PARTICIPANT_LOCKED.first(participant_id=participant.pk)
    if locked is None:
        # Gone with its room since the request read its token.
        raise Unauthenticated(gettext("That token is not valid."), code="invalid_token")
    return locked


def _room_address(room: Room, address_hash: str) -> RoomAddress:
    """The address's shared bucket in the room, made full the first time it is asked for.

    A post reads it under the room's lock, which every post takes first: no
    other post changes it meanwhile.
    """
    address = _ROOM_ADDRESS.first(room_id=room.pk, address_hash=address_hash)
    if address is not None:
        return address
    address, _ = RoomAddress.objects.get_or_create(
        room=room,
        address_hash=address_hash,
        defaults={"post_allowance": settings.ADDRESS_POST_RATE_BURST, "post_allowance_at": clock.now()},
    )
    return address


def _lock_room(room: Room) -> Room:
    # Every event in a room is numbered under this row lock: whoever holds it
    # commits before the next seq can be taken, so seq order is commit order.
    locked = Room.objects.select_for_update().filter(pk=room.pk).first()
    if locked is None:
        # Deleted while this request was on its way.
        raise NotFound(gettext("There is no room with that name."), code="room_not_found")
    return locked


def _lock_room_taking_seq(room: Room) -> Room:
    """_lock_room and _next_seq in one statement: the room, locked, with its next seq taken.

    A transaction that stores nothing after all rolls the seq back with it.
    """
    # Raw because the ORM's update() returns no row; UPDATE … RETURNING works
    # on PostgreSQL and on SQLite (3.35 and later) alike.
    table, seq = Room._meta.db_table, Room._meta.get_field("seq").column
    # Names from the model, never from input; the id is a parameter.
    statement = f'UPDATE "{table}" SET "{seq}" = "{seq}" + 1 WHERE "id" = %s RETURNING *'  # noqa: S608
    locked = next(iter(Room.objects.raw(statement, [room.pk])), None)
    if locked is None:
        raise NotFound(gettext("There is no room with that name."), code="room_not_found")
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

    try:
        message = _message_store(
            room=room,
            author=author,
            author_role=role,
            nickname=nickname,
            color=color,
            text=text,
            client_id=cleaned_client_id,
        )
    except (ServiceError, IntegrityError):
        # A retry gets its original answer, whatever it met this time: its
        # client_id already taken (the unique constraint), or a refusal that
        # came after the original (new text, a closed room, a limit, a mute).
        # Everything it did was rolled back, the seq it took included.
        original = (
            Message.objects.filter(room_id=room.pk, author_key=key, client_id=cleaned_client_id).first()
            if cleaned_client_id is not None
            else None
        )
        if original is None:
            raise
        return original, False
    return message, True


def _message_store(
    *,
    room: Room,
    author: Participant | Teacher,
    author_role: Role,
    nickname: str,
    color: str,
    text: object,
    client_id: uuid.UUID | None,
) -> Message:
    # Five round trips for a teacher's post: BEGIN, the room's lock and seq,
    # the message, its event, COMMIT. A retried client_id is found by the
    # insert failing, not by a read before every post.
    with transaction.atomic():
        locked_room = _lock_room_taking_seq(room)
        cleaned_text = clean_message_text(text)
        if not locked_room.is_open:
            raise Forbidden(gettext("This room is closed."), code="room_closed")
        message = Message(
            room=locked_room,
            participant=author if isinstance(author, Participant) else None,
            teacher=author if isinstance(author, Teacher) else None,
            author_key=author_key(author),
            author_role=author_role,
            nickname=nickname,
            color=color,
            text=cleaned_text,
            client_id=client_id,
        )
        # Teachers may post in a paused room and are never slowed or limited.
        if isinstance(author, Participant):
            _admit_participant_post(locked_room, _participant_locked(author))
            _apply_room_rules(locked_room, message)
        message.seq = locked_room.seq
        message.save(force_insert=True)
        held = message.status == Message.Status.HELD
        event_type = RoomEvent.Type.MESSAGE_HELD if held else RoomEvent.Type.MESSAGE_CREATED
        _store_event(locked_room, message.seq, event_type, message=message)
    return message


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
            raise Conflict(gettext("That message was rejected; it can't be published now."), code="message_rejected")
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
            raise Conflict(gettext("That message is already published; delete it instead."), code="message_published")
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
            raise NotFound(gettext("There is no such message in this room."), code="message_not_found")
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
        raise Forbidden(gettext("This room is closed."), code="room_closed")
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
        raise Conflict(gettext("That message is waiting for review: approve or reject it."), code="message_held")
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


def message_restore(*, room: Room, message: Message) -> bool:
    """Bring a deleted message back for everyone, where it was; returns False if it was not deleted.

    The undo of message_delete, at any time. It keeps its seq, so it returns
    to its place in every history; it is not pinned again, and the reports
    its deletion resolved stay resolved.
    """
    with transaction.atomic():
        locked_room = _lock_room(room)
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if not locked.is_deleted:
            return False
        locked.deleted_at = None
        locked.deleted_by = None
        locked.save(update_fields=["deleted_at", "deleted_by"])
        _record_event(locked_room, RoomEvent.Type.MESSAGE_RESTORED, message=locked)
    return True


def report_create(*, room: Room, reporter: Participant, message: Message, reason: object = None) -> tuple[Report, bool]:
    """File a report for the moderators; returns it and whether it is new.

    A participant has at most one open report per message: reporting again
    returns that one, so a double click is not two reports. Their address
    has at most REPORTS_PER_ADDRESS_PER_MESSAGE: classmates are heard, a
    student's fresh identities don't pile up (409 already_reported).
    """
    cleaned_reason = clean_report_reason(reason)
    with transaction.atomic():
        locked_room = _lock_room(room)
        existing = Report.objects.filter(message=message, reporter=reporter, resolved_at__isnull=True).first()
        if existing is not None:
            return existing, False
        if not Message.objects.filter(pk=message.pk, deleted_at__isnull=True, status=Message.Status.PUBLISHED).exists():
            raise NotFound(gettext("There is no such message in this room."), code="message_not_found")
        if _reports_from_address(message, reporter.address_hash) >= settings.REPORTS_PER_ADDRESS_PER_MESSAGE:
            raise Conflict(
                gettext("This message has already been reported from your network. A teacher will take a look."),
                code="already_reported",
            )
        report = Report.objects.create(room=locked_room, message=message, reporter=reporter, reason=cleaned_reason)
        _record_event(locked_room, RoomEvent.Type.REPORT_CREATED, data=report_created_data(report))
    return report, True


def _reports_from_address(message: Message, address_hash: str) -> int:
    """Open reports on the message filed by participants from this address (none counted without one)."""
    if not address_hash:
        return 0
    return Report.objects.filter(message=message, resolved_at__isnull=True, reporter__address_hash=address_hash).count()


def report_resolve(*, room: Room, report: Report, action: object, resolved_by: Teacher) -> bool:
    """Delete the reported message or dismiss the report; returns False if it was already resolved."""
    if action not in REPORT_ACTIONS:
        raise Invalid(gettext("The action is “delete” or “dismiss”."), field="action")
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

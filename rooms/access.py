"""Who may do what: one function per object and role.

Each function fetches the object *for an actor* and raises the error the
client should see, so no view re-implements a permission check. A room's
checks all read one `RoomAccess`, so a request asks the database who its
actor is in the room once, however many checks it makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace
from typing import Any, Literal

from django.contrib.auth import get_user
from django.utils.translation import gettext

from accounts.models import Teacher
from accounts.selectors import teacher_for_token
from rooms.models import Message, ModeratorInvitation, Participant, Report, Role, Room, RoomModerator
from rooms.payloads import Viewer
from rooms.selectors import room_named
from rooms.validation import room_name_key
from todaysmeet.db.compiled_query import CompiledQuery
from todaysmeet.errors import Forbidden, NotFound, Unauthenticated
from todaysmeet.tokens import token_hash

# Where a browser's session remembers which participant it is in each room.
SESSION_PARTICIPANTS_KEY = "participants"


@dataclass(frozen=True)
class Actor:
    """Whoever sent a request: a teacher, a participant token, a browser session, or nobody.

    A browser may hold one participant per room (remembered in its session);
    a bearer token names exactly one teacher or one participant.
    """

    teacher: Teacher | None = None
    participant: Participant | None = None
    session_participant_ids: dict[int, int] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """For logs: "teacher", "participant" (a token), "browser" (a session that joined rooms) or "anonymous"."""
        if self.teacher is not None:
            return "teacher"
        if self.participant is not None:
            return "participant"
        return "browser" if self.session_participant_ids else "anonymous"

    @property
    def is_anonymous(self) -> bool:
        return self.teacher is None and self.participant is None and not self.session_participant_ids

    def remembered_participant_in(self, room: Room) -> Participant | None:
        """This actor's participant in `room`, even one a password change has retired."""
        if self.participant is not None:
            return self.participant if self.participant.room_id == room.pk else None
        participant_id = self.session_participant_ids.get(room.pk)
        if participant_id is None:
            return None
        return Participant.objects.filter(pk=participant_id, room=room).first()


ANONYMOUS = Actor()


# Hashes of tokens found to be teachers' in this process. What a token is
# never changes, so this holds no state to revoke: each request still reads
# the token's row, but a teacher's skips the participant lookup first.
_teacher_token_hashes: set[str] = set()
TEACHER_TOKEN_HASHES_KEPT = 10000


_PARTICIPANT_BY_TOKEN = CompiledQuery(
    lambda *, token_hash: Participant.objects.select_related("room__owner").filter(token_hash=token_hash)[:1],
    values={"token_hash": str},
)


def actor_for_token(token: str) -> Actor | None:
    """The teacher or participant a bearer token names; None for an unknown or retired token."""
    hashed = token_hash(token)
    if hashed in _teacher_token_hashes:
        teacher = teacher_for_token(token)
        return Actor(teacher=teacher) if teacher is not None else None
    # Participants first: they make nearly every post, and each lookup is a
    # query. The room and its owner come in the same read, for the request's
    # room access (room_access_by_name).
    participant = _PARTICIPANT_BY_TOKEN.first(token_hash=hashed)
    if participant is not None:
        # A token from before the room's password changed is as good as unknown.
        if participant.password_version != participant.room.password_version:
            return None
        return Actor(participant=participant)
    teacher = teacher_for_token(token)
    if teacher is None:
        return None
    if len(_teacher_token_hashes) >= TEACHER_TOKEN_HASHES_KEPT:
        _teacher_token_hashes.clear()
    _teacher_token_hashes.add(hashed)
    return Actor(teacher=teacher)


def session_room_ids(session: Mapping[str, Any]) -> list[int]:
    """The rooms a browser's session joined as a participant."""
    return [int(room_id) for room_id in session.get(SESSION_PARTICIPANTS_KEY) or {}]


def actor_for_session(*, user: Any, session: Mapping[str, Any]) -> Actor:
    teacher = user if isinstance(user, Teacher) and user.is_authenticated else None
    remembered = session.get(SESSION_PARTICIPANTS_KEY) or {}
    if teacher is None and not remembered:
        return ANONYMOUS
    return Actor(teacher=teacher, session_participant_ids={int(room): pid for room, pid in remembered.items()})


def room_role(*, actor: Actor, room: Room) -> Role | None:
    """Role.OWNER or Role.MODERATOR for a teacher who runs `room`, else None."""
    if actor.teacher is None:
        return None
    if actor.teacher.pk == room.owner_id:
        return Role.OWNER
    if RoomModerator.objects.filter(room=room, teacher=actor.teacher).exists():
        return Role.MODERATOR
    return None


@dataclass(frozen=True)
class RoomAccess:
    """Who `actor` is in `room`: their role, their participant, and whether they may read it.

    Each is read from the database at most once, and only when first asked
    for: a public room's reader costs no query at all.
    """

    room: Room
    actor: Actor

    @cached_property
    def role(self) -> Role | None:
        """Role.OWNER or Role.MODERATOR for the room's teachers, else None."""
        return room_role(actor=self.actor, room=self.room)

    @cached_property
    def remembered_participant(self) -> Participant | None:
        """The actor's participant here, even one a password change has retired."""
        return self.actor.remembered_participant_in(self.room)

    @property
    def participant(self) -> Participant | None:
        """The actor's participant here, if it still holds: no password change since, not removed by a teacher."""
        remembered = self.remembered_participant
        if remembered is None or remembered.password_version != self.room.password_version or remembered.is_blocked:
            return None
        return remembered

    @property
    def removed(self) -> bool:
        """Whether a teacher removed and blocked the participant this actor was here."""
        # Not a teacher of the room: a teacher's browser may also have joined as a student.
        return self.remembered_participant is not None and self.remembered_participant.is_blocked

    @property
    def readable(self) -> bool:
        """Anyone reads a public room; a private one, its participants and teachers."""
        # Participant first: a token's participant is known without a query.
        return not self.room.is_private or self.participant is not None or self.role is not None

    @cached_property
    def viewer(self) -> Viewer:
        """Who the actor is as a reader of the room: what decides what each payload shows them.

        Asked of someone who may read the room. Their participant is taken
        from their token or session without a query: a retired one in a
        private room could not read it.
        """
        teacher_id = self.actor.teacher.pk if self.actor.teacher is not None else None
        if self.role is not None:
            return Viewer(moderator=True, teacher_id=teacher_id)
        if self.actor.participant is not None:
            participant_id = self.actor.participant.pk if self.actor.participant.room_id == self.room.pk else None
        else:
            participant_id = self.actor.session_participant_ids.get(self.room.pk)
        return Viewer(participant_id=participant_id, teacher_id=teacher_id)


def room_by_name(*, name: str) -> Room:
    """The room called `name`, whoever asks; private rooms included."""
    room = room_named(name, with_owner=True)
    if room is None:
        raise NotFound(gettext("There is no room with that name."), code="room_not_found")
    return room


def room_access_by_name(*, name: str, actor: Actor) -> RoomAccess:
    """The room called `name` (404 if none), and who `actor` is in it; nothing is refused yet."""
    participant = actor.participant
    if participant is not None and participant.room.name == room_name_key(name):
        # Read with the token, in this request (actor_for_token): no second read.
        return RoomAccess(room=participant.room, actor=actor)
    return RoomAccess(room=room_by_name(name=name), actor=actor)


def _readable_required(access: RoomAccess) -> None:
    if not access.readable:
        if access.removed:
            raise removed_error()
        raise Forbidden(
            gettext("This room is private. Join it with its password."),
            code="password_required",
            room={"name": access.room.name, "is_private": True},
        )


def room_for_reader(*, name: str, actor: Actor = ANONYMOUS) -> RoomAccess:
    """The room, if `actor` may read it: anyone for a public room; its people for a private one."""
    access = room_access_by_name(name=name, actor=actor)
    _readable_required(access)
    return access


def room_for_moderator(*, name: str, actor: Actor) -> RoomAccess:
    """The room, if `actor` is its owner or one of its moderators."""
    access = room_access_by_name(name=name, actor=actor)
    _moderator_required(access)
    return access


def room_for_owner(*, name: str, actor: Actor) -> RoomAccess:
    access = room_access_by_name(name=name, actor=actor)
    _owner_required(access)
    return access


def room_for_history(*, name: str, actor: Actor, include_deleted: bool) -> RoomAccess:
    """The room whose messages `actor` lists: deleted ones are evidence, for its teachers only."""
    if include_deleted:
        return room_for_moderator(name=name, actor=actor)
    return room_for_reader(name=name, actor=actor)


def teacher_required(actor: Actor) -> Teacher:
    if actor.teacher is not None:
        return actor.teacher
    if actor.participant is not None:
        raise Forbidden(gettext("Only teachers can do that."), code="teacher_only")
    raise Unauthenticated(gettext("Sign in as a teacher to do that."))


def _must_join(actor: Actor, room: Room) -> bool:
    """Whether joining (again) is what `actor` lacks to act in `room` as a participant."""
    # A browser whose participant was retired by a password change must join again.
    return actor.is_anonymous or (actor.teacher is None and room.pk in actor.session_participant_ids)


def removed_error() -> Forbidden:
    return Forbidden(gettext("A teacher removed you from this room."), code="removed")


def room_author(access: RoomAccess, *, verb: Literal["post", "vote"] = "post") -> Participant | Teacher:
    """The identity that posts (or votes) in the room on behalf of the actor: a teacher before a participant."""
    if access.role is not None:
        return access.actor.teacher
    if access.participant is not None:
        return access.participant
    if access.removed:
        raise removed_error()
    if _must_join(access.actor, access.room):
        raise Unauthenticated(
            gettext("Join the room before you vote.") if verb == "vote" else gettext("Join the room before you post.")
        )
    raise Forbidden(
        gettext("Only this room's participants and teachers can vote here.")
        if verb == "vote"
        else gettext("Only this room's participants and teachers can post here."),
        code="not_participant",
    )


def _moderator_required(access: RoomAccess) -> None:
    if access.role is not None:
        return
    if access.actor.is_anonymous:
        raise Unauthenticated(gettext("Sign in as one of the room's teachers to do that."))
    raise Forbidden(gettext("Only the room's owner and moderators can do that."), code="not_moderator")


def _owner_required(access: RoomAccess) -> None:
    teacher = access.actor.teacher
    if teacher is not None and teacher.pk == access.room.owner_id:
        return
    if access.actor.is_anonymous:
        raise Unauthenticated(gettext("Sign in as the room's owner to do that."))
    raise Forbidden(gettext("Only the room's owner can do that."), code="not_owner")


def message_for_moderator(*, access: RoomAccess, message_id: int) -> Message:
    _moderator_required(access)
    message = Message.objects.filter(pk=message_id, room=access.room).first()
    if message is None:
        # The same answer for a missing id and one from another room.
        raise NotFound(gettext("There is no such message in this room."), code="message_not_found")
    return message


def visible_message_for_moderator(*, access: RoomAccess, message_id: int) -> Message:
    """A message everyone sees (not held, rejected or deleted), for its moderators to pin or mark."""
    _moderator_required(access)
    return _visible_message(access.room, message_id)


def _visible_message(room: Room, message_id: int) -> Message:
    # A deleted message is dealt with, and a held one must not be revealed to exist.
    message = Message.objects.filter(
        pk=message_id, room=room, status=Message.Status.PUBLISHED, deleted_at__isnull=True
    ).first()
    if message is None:
        raise NotFound(gettext("There is no such message in this room."), code="message_not_found")
    return message


def message_for_reporter(*, access: RoomAccess, message_id: int) -> tuple[Participant, Message]:
    """The participant reporting, and the visible message they report."""
    reporter = access.participant
    if reporter is None:
        if access.removed:
            raise removed_error()
        if _must_join(access.actor, access.room):
            raise Unauthenticated(gettext("Join the room to report a message."))
        raise Forbidden(gettext("Only the room's participants can report messages."), code="not_participant")
    return reporter, _visible_message(access.room, message_id)


def message_for_voter(*, access: RoomAccess, message_id: int) -> tuple[Participant | Teacher, Message]:
    """Who votes (a participant, or one of the room's teachers), and the visible message they vote on."""
    return room_author(access, verb="vote"), _visible_message(access.room, message_id)


def participant_for_moderator(*, access: RoomAccess, participant_id: int) -> Participant:
    _moderator_required(access)
    participant = Participant.objects.filter(pk=participant_id, room=access.room).first()
    if participant is None:
        raise NotFound(gettext("There is no such participant in this room."), code="participant_not_found")
    return participant


def report_for_moderator(*, access: RoomAccess, report_id: int) -> Report:
    _moderator_required(access)
    report = Report.objects.filter(pk=report_id, room=access.room).first()
    if report is None:
        raise NotFound(gettext("There is no such report in this room."), code="report_not_found")
    return report


def invitation_for_teacher(*, actor: Actor, invitation_id: int) -> tuple[Teacher, ModeratorInvitation]:
    """The teacher, and an invitation to their address; the same 404 for one that is missing or someone else's."""
    teacher = teacher_required(actor)
    invitation = (
        ModeratorInvitation.objects.select_related("room__owner").filter(pk=invitation_id, email=teacher.email).first()
    )
    if invitation is None:
        raise NotFound(gettext("There is no such invitation."), code="invitation_not_found")
    return teacher, invitation


def socket_actor(*, token: str | None, session: Mapping[str, Any]) -> Actor:
    """Who opened a websocket: a `?token=` if given, else the browser's session.

    Sync: reading the session and the teacher touches the database.
    """
    if token is not None:
        return actor_for_token(token) or ANONYMOUS
    # Django's get_user wants a request, but the session is all it reads from one.
    return actor_for_session(user=get_user(SimpleNamespace(session=session)), session=session)


def room_id_moderated_by(*, room_id: int, actor: Actor) -> bool:
    """Whether `actor` is the owner or a moderator of the room with this id (False once it is gone)."""
    if actor.teacher is None:
        # Every participant's socket asks when a password changes: answer those without a query.
        return False
    room = Room.objects.filter(pk=room_id).first()
    return room is not None and room_role(actor=actor, room=room) is not None

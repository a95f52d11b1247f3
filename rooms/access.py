"""Who may do what: one function per object and role.

Each function fetches the object *for an actor* and raises the error the
client should see, so no view re-implements a permission check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import Teacher
from rooms.models import Message, Participant, Room
from todaysmeet.errors import Forbidden, NotFound, Unauthenticated


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
    def is_anonymous(self) -> bool:
        return self.teacher is None and self.participant is None and not self.session_participant_ids

    def participant_in(self, room: Room) -> Participant | None:
        if self.participant is not None:
            return self.participant if self.participant.room_id == room.pk else None
        participant_id = self.session_participant_ids.get(room.pk)
        if participant_id is None:
            return None
        return Participant.objects.filter(pk=participant_id, room=room).first()


ANONYMOUS = Actor()


def room_for_reader(*, name: str) -> Room:
    room = Room.objects.select_related("owner").filter(name=name.lower()).first()
    if room is None:
        raise NotFound("There is no room with that name.", code="room_not_found")
    return room


def teacher_required(actor: Actor) -> Teacher:
    if actor.teacher is not None:
        return actor.teacher
    if actor.participant is not None:
        raise Forbidden("Only teachers can do that.", code="teacher_only")
    raise Unauthenticated("Sign in as a teacher to do that.")


def room_author(*, actor: Actor, room: Room) -> Participant | Teacher:
    """The identity that posts in `room` on behalf of `actor`."""
    if actor.teacher is not None and actor.teacher.pk == room.owner_id:
        return actor.teacher
    participant = actor.participant_in(room)
    if participant is not None:
        return participant
    if actor.is_anonymous:
        raise Unauthenticated("Join the room before posting.")
    raise Forbidden("Only this room's participants and owner can post here.", code="not_participant")


def room_moderator(*, actor: Actor, room: Room) -> Teacher:
    if actor.teacher is not None and actor.teacher.pk == room.owner_id:
        return actor.teacher
    if actor.is_anonymous:
        raise Unauthenticated("Sign in as the room's owner to do that.")
    raise Forbidden("Only the room's owner can do that.", code="not_moderator")


def message_for_moderator(*, actor: Actor, room: Room, message_id: int) -> Message:
    room_moderator(actor=actor, room=room)
    message = Message.objects.filter(pk=message_id, room=room).first()
    if message is None:
        # The same answer for a missing id and one from another room.
        raise NotFound("There is no such message in this room.", code="message_not_found")
    return message

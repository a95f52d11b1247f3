"""Every change to rooms, participants and messages goes through here.

Each service validates, writes inside one transaction, and hands its event to
the stream on commit, so a rolled-back write is never broadcast.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Teacher
from rooms.models import Message, Participant, Room, RoomEvent
from rooms.payloads import event_payload
from rooms.validation import clean_client_id, clean_message_text, clean_nickname, clean_room_name, clean_topic
from streaming.publish import room_event_publish_on_commit
from todaysmeet import clock
from todaysmeet.errors import Conflict, Forbidden, RateLimited
from todaysmeet.tokens import token_generate, token_hash


def room_create(*, owner: Teacher, name: object, topic: object = None) -> Room:
    cleaned_name = clean_room_name(name)
    cleaned_topic = clean_topic(topic)
    if Room.objects.filter(name=cleaned_name).exists():
        raise Conflict("That room name is taken.", code="name_taken", field="name")
    try:
        with transaction.atomic():
            return Room.objects.create(name=cleaned_name, topic=cleaned_topic, owner=owner)
    except IntegrityError:
        raise Conflict("That room name is taken.", code="name_taken", field="name") from None


def participant_join(*, room: Room, nickname: object, rejoining: Participant | None = None) -> tuple[Participant, str]:
    """Admit someone to `room`; returns the participant and a fresh bearer token.

    A browser that already joined keeps its participant (same id) under the
    new nickname, so a teacher can still tell who said what.
    """
    cleaned_nickname = clean_nickname(nickname)
    token = token_generate()
    if rejoining is not None and rejoining.room_id == room.pk:
        rejoining.nickname = cleaned_nickname
        rejoining.token_hash = token_hash(token)
        rejoining.save(update_fields=["nickname", "token_hash"])
        return rejoining, token
    participant = Participant.objects.create(
        room=room,
        nickname=cleaned_nickname,
        token_hash=token_hash(token),
        post_allowance=settings.POST_RATE_BURST,
        post_allowance_at=clock.now(),
    )
    return participant, token


def _spend_post_allowance(participant: Participant) -> None:
    """Token bucket: a burst of POST_RATE_BURST, refilled at POST_RATE_PER_MINUTE."""
    now = clock.now()
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
    participant.save(update_fields=["post_allowance", "post_allowance_at"])


def _lock_room(room: Room) -> Room:
    # Every event in a room is numbered under this row lock: whoever holds it
    # commits before the next seq can be taken, so seq order is commit order.
    return Room.objects.select_for_update().get(pk=room.pk)


def _next_seq(room: Room) -> int:
    room.seq += 1
    room.save(update_fields=["seq"])
    return room.seq


def message_post(
    *, room: Room, author: Participant | Teacher, text: object, client_id: object = None
) -> tuple[Message, bool]:
    """Store a message; returns it and whether it is new.

    A repeated `client_id` from the same author returns the original message
    and changes nothing, so clients can retry a post whose answer they lost.
    """
    cleaned_text = clean_message_text(text)
    cleaned_client_id: uuid.UUID | None = clean_client_id(client_id)
    if isinstance(author, Participant):
        author_key, nickname = f"p{author.pk}", author.nickname
    else:
        author_key, nickname = f"t{author.pk}", author.name_in_rooms

    with transaction.atomic():
        locked_room = _lock_room(room)
        if cleaned_client_id is not None:
            original = Message.objects.filter(
                room=locked_room, author_key=author_key, client_id=cleaned_client_id
            ).first()
            if original is not None:
                return original, False
        if not locked_room.is_open:
            raise Forbidden("This room is closed.", code="room_closed")
        if isinstance(author, Participant):
            _spend_post_allowance(Participant.objects.select_for_update().get(pk=author.pk))
        seq = _next_seq(locked_room)
        message = Message.objects.create(
            room=locked_room,
            seq=seq,
            participant=author if isinstance(author, Participant) else None,
            teacher=author if isinstance(author, Teacher) else None,
            author_key=author_key,
            nickname=nickname,
            text=cleaned_text,
            client_id=cleaned_client_id,
        )
        event = RoomEvent.objects.create(
            room=locked_room, seq=seq, type=RoomEvent.Type.MESSAGE_CREATED, message=message
        )
        room_event_publish_on_commit(locked_room.pk, event_payload(event))
    room.seq = locked_room.seq
    return message, True


def message_delete(*, room: Room, message: Message, deleted_by: Teacher) -> bool:
    """Hide a message from everyone; returns False if it was already deleted.

    The row stays as evidence of what was said and who removed it.
    """
    with transaction.atomic():
        locked_room = _lock_room(room)
        locked_message = Message.objects.select_for_update().get(pk=message.pk)
        if locked_message.is_deleted:
            return False
        seq = _next_seq(locked_room)
        locked_message.deleted_at = clock.now()
        locked_message.deleted_by = deleted_by
        locked_message.save(update_fields=["deleted_at", "deleted_by"])
        event = RoomEvent.objects.create(
            room=locked_room, seq=seq, type=RoomEvent.Type.MESSAGE_DELETED, message=locked_message
        )
        room_event_publish_on_commit(locked_room.pk, event_payload(event))
    room.seq = locked_room.seq
    return True

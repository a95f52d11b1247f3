"""Data migrations, run against rows as the code before them stored them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db.models import QuerySet

from rooms import services
from rooms.models import Participant, RoomEvent

pytestmark = pytest.mark.django_db

room_updated_events_without_url = importlib.import_module("rooms.migrations.0004_room_updated_events_without_url")
participant_nickname_key = importlib.import_module("rooms.migrations.0010_participant_nickname_key")


def stored_data(events: QuerySet[RoomEvent]) -> dict[int, dict | None]:
    return dict(events.all().values_list("pk", "data"))


def test_stored_room_updated_events_lose_their_url_and_keep_the_rest(room, participant, monkeypatch):
    services.room_update(room=room, changes={"topic": "Mitosis"})
    services.room_update(room=room, changes={"paused": True})
    services.participant_mute(room=room, participant=participant.obj, muted=True)
    services.message_post(room=room, author=room.owner, text="hi")
    # As events were stored before: with the Host of the teacher who made the change.
    updates = RoomEvent.objects.filter(type=RoomEvent.Type.ROOM_UPDATED)
    before = stored_data(updates)
    for event in updates.all():
        event.data["room"]["url"] = "http://teacher.example/biology/"
        event.save(update_fields=["data"])
    others = stored_data(RoomEvent.objects.exclude(type=RoomEvent.Type.ROOM_UPDATED))
    monkeypatch.setattr(room_updated_events_without_url, "BATCH_SIZE", 1)

    room_updated_events_without_url.drop_room_urls(apps, None)

    assert len(before) == 2
    assert stored_data(updates) == before
    assert stored_data(RoomEvent.objects.exclude(type=RoomEvent.Type.ROOM_UPDATED)) == others


def test_participants_who_joined_before_keys_get_theirs_so_their_names_count(room, make_participant, monkeypatch):
    for nickname in ("Ｓａｍ", "ALEX", "kim"):
        make_participant(room, nickname)
    # As the release before stored them: without a key.
    Participant.objects.update(nickname_key="")
    monkeypatch.setattr(participant_nickname_key, "BATCH_SIZE", 2)

    participant_nickname_key.fill_nickname_keys(apps, None)

    assert sorted(Participant.objects.values_list("nickname_key", flat=True)) == ["alex", "kim", "sam"]


def test_the_release_before_q_and_a_still_inserts_rooms_and_messages_during_a_rolling_deploy(owner, participant):
    """Its processes name only the columns they know; every column 0005 added has a database default."""
    from django.db import connection

    from rooms.models import Message, Room

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rooms_room (name, topic, owner_id, created_at, lifetime, closes_at, paused,"
            " slow_mode_seconds, password_hash, password_version, seq)"
            " VALUES ('old-code', '', %s, %s, '1w', %s, FALSE, 0, '', 0, 1)",
            [owner.obj.pk, "2026-11-28T09:00:00Z", "2026-12-05T09:00:00Z"],
        )
        room_id = Room.objects.get(name="old-code").pk
        cursor.execute(
            "INSERT INTO rooms_message (room_id, seq, participant_id, author_key, author_role, nickname, color,"
            " text, created_at) VALUES (%s, 1, %s, 'p1', 'participant', 'sam', '#0f766e', 'hi', %s)",
            [room_id, participant.obj.pk, "2026-11-28T09:01:00Z"],
        )

    room = Room.objects.get(pk=room_id)
    message = Message.objects.get(room=room)
    assert (room.review, room.word_filter, room.blocked_words, room.anonymous) == (False, "off", "", False)
    assert (message.status, message.anonymous, message.filtered, message.masked_text) == ("published", False, False, "")
    assert (message.pinned, message.answered, message.upvotes, message.upvotes_published) == (False, False, 0, 0)

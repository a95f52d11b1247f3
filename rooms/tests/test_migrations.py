"""Data migrations, run against rows as the code before them stored them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db.models import QuerySet

from rooms import services
from rooms.models import RoomEvent

pytestmark = pytest.mark.django_db

room_updated_events_without_url = importlib.import_module("rooms.migrations.0004_room_updated_events_without_url")


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

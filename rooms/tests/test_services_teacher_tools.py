"""The teacher-tool services: what they publish, when, and what they refuse."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.db import transaction

from rooms import services
from rooms.colors import PARTICIPANT_COLORS
from rooms.models import Room, RoomEvent
from tests.room_listener import RoomListener
from todaysmeet.errors import NotFound


@pytest.fixture
def group(room):
    listening = RoomListener(room.pk)
    yield listening
    listening.close()


def summary(message: dict[str, Any]) -> tuple:
    if message["type"] == "room.event":
        return ("event", json.loads(message["text"])["type"])
    return ("close", message["code"], message["keep_moderators"])


def test_a_new_password_publishes_the_change_then_closes_non_teacher_sockets(
    room, group, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.room_update(room=room, changes={"password": "mitosis"})

    assert [summary(message) for message in group.received(2)] == [
        ("event", "room.updated"),
        ("close", 4401, True),
    ]


def test_clearing_the_password_publishes_the_change_and_closes_nobody(room, group, django_capture_on_commit_callbacks):
    services.room_update(room=room, changes={"password": "mitosis"})

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.room_update(room=room, changes={"password": None})

    assert len(callbacks) == 1
    assert [summary(message) for message in group.received(1)] == [("event", "room.updated")]


def test_deleting_a_room_closes_its_sockets_with_4410(room, group, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.room_delete(room=room)

    assert [summary(message) for message in group.received(1)] == [("close", 4410, False)]


def test_purging_closes_the_sockets_of_every_purged_room(owner, clock, django_capture_on_commit_callbacks):
    old = services.room_create(owner=owner.obj, name="old-room", lifetime="2h")
    listener = RoomListener(old.pk)
    clock.advance(timedelta(days=31))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.rooms_purge(closed_before=clock.now() - timedelta(days=30))

        assert [summary(message) for message in listener.received(1)] == [("close", 4410, False)]
    finally:
        listener.close()


def test_a_rolled_back_change_publishes_nothing_and_closes_nothing(room, django_capture_on_commit_callbacks):
    class Abandon(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abandon),
        transaction.atomic(),
    ):
        services.room_update(room=room, changes={"password": "mitosis", "topic": "Secret"})
        raise Abandon

    assert callbacks == []
    stored = Room.objects.get(pk=room.pk)
    assert (stored.topic, stored.is_private, stored.seq) == ("Cells", False, 0)
    assert not RoomEvent.objects.exists()


def test_a_room_deleted_meanwhile_is_not_found_rather_than_an_error(room, participant):
    stale = Room.objects.get(pk=room.pk)
    services.room_delete(room=room)

    with pytest.raises(NotFound) as raised:
        services.message_post(room=stale, author=participant.obj, text="anyone?")

    assert raised.value.code == "room_not_found"


def test_a_participants_color_never_changes_through_rejoins_and_mutes(room):
    participant, _ = services.participant_join(room=room, nickname="sam")
    color = participant.color

    services.participant_mute(room=room, participant=participant, muted=True)
    again, _ = services.participant_join(room=room, nickname="samira", rejoining=participant)

    assert (again.pk, again.color, again.muted) == (participant.pk, color, True)


def test_the_first_participants_of_a_room_all_get_different_colors(room):
    count = len(PARTICIPANT_COLORS)
    colors = [services.participant_join(room=room, nickname=f"s{index}")[0].color for index in range(count)]

    assert len(set(colors)) == count


def test_setting_the_password_back_while_another_teacher_changes_it_leaves_the_one_set_last(room, monkeypatch):
    services.room_update(room=room, changes={"password": "mitosis"})
    check_password = services.check_password

    def checked_while_another_teacher_changes_it(password: str, encoded: str) -> bool:
        # The room is not locked yet while the password is hashed.
        answer = check_password(password, encoded)
        Room.objects.filter(pk=room.pk).update(password_hash=make_password("meiosis"), password_version=2)
        return answer

    monkeypatch.setattr(services, "check_password", checked_while_another_teacher_changes_it)

    services.room_update(room=room, changes={"password": "mitosis"})

    stored = Room.objects.get(pk=room.pk)
    assert check_password("mitosis", stored.password_hash)
    assert stored.password_version == 3

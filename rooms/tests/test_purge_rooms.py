"""manage.py purge_rooms"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from conftest import moderator_made
from rooms import services
from rooms.models import Message, Participant, Report, Room, RoomEvent, RoomModerator
from rooms.services import PURGE_BATCH_SIZE


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_rooms", *args, stdout=out)
    return out.getvalue()


def room_names() -> list[str]:
    return sorted(Room.objects.values_list("name", flat=True))


def furnish(room, owner, make_teacher, make_participant) -> None:
    """A message, a deleted message, a report, a mute and a moderator: every kind of row a room owns."""
    sam = make_participant(room, "sam")
    first = services.message_post(room=room, author=sam.obj, text="hello")[0]
    services.message_post(room=room, author=owner.obj, text="welcome")
    services.report_create(room=room, reporter=sam.obj, message=first)
    services.message_delete(room=room, message=first, deleted_by=owner.obj)
    services.participant_mute(room=room, participant=sam.obj, muted=True)
    moderator_made(room, make_teacher(f"helper-{room.name}@school.example").obj)


@pytest.fixture
def rooms(owner, make_teacher, make_participant, clock):
    """Three rooms, all two hours long: "ancient" closed 40 days ago, "recent" 10 days ago, "live" is open."""
    clock.freeze()
    made = {}
    for name, age in (("ancient", timedelta(days=40)), ("recent", timedelta(days=10)), ("live", timedelta(0))):
        clock.advance(-age - timedelta(hours=2))
        made[name] = services.room_create(owner=owner.obj, name=name, lifetime="2h")
        furnish(made[name], owner, make_teacher, make_participant)
        clock.advance(age + timedelta(hours=2))
    return made


def test_rooms_closed_more_than_thirty_days_ago_go_with_everything_in_them(rooms):
    output = purge()

    assert room_names() == ["live", "recent"]
    assert "deleted 1 room " in output
    ancient = rooms["ancient"].pk
    for model in (Message, RoomEvent, Participant, Report, RoomModerator):
        assert not model.objects.filter(room_id=ancient).exists(), model.__name__
        assert model.objects.filter(room_id=rooms["recent"].pk).exists(), model.__name__


def test_a_dry_run_counts_and_deletes_nothing(rooms):
    output = purge("--dry-run")

    assert "would delete 1 room " in output
    assert room_names() == ["ancient", "live", "recent"]
    assert Message.objects.filter(room=rooms["ancient"]).count() == 2


def test_running_twice_deletes_nothing_the_second_time(rooms):
    purge()

    output = purge()

    assert "deleted 0 rooms " in output
    assert room_names() == ["live", "recent"]


def test_days_changes_how_long_closed_rooms_are_kept(rooms):
    assert "deleted 2 rooms " in purge("--days", "7")
    assert room_names() == ["live"]


def test_days_zero_deletes_every_closed_room_but_no_open_one(rooms):
    purge("--days", "0")

    assert room_names() == ["live"]


def test_a_room_is_kept_until_thirty_whole_days_have_passed_since_it_closed(owner, clock):
    clock.freeze()
    services.room_create(owner=owner.obj, name="boundary", lifetime="2h")
    clock.advance(timedelta(hours=2, days=30))

    purge()
    assert room_names() == ["boundary"]

    clock.advance(timedelta(microseconds=1))
    purge()
    assert room_names() == []


def test_a_room_reopened_by_its_teacher_is_kept(rooms):
    services.room_update(room=rooms["ancient"], changes={"closed": False})

    purge()

    assert room_names() == ["ancient", "live", "recent"]


def test_more_rooms_than_one_batch_are_all_deleted(owner, clock):
    clock.freeze()
    for index in range(PURGE_BATCH_SIZE * 2 + 3):
        services.room_create(owner=owner.obj, name=f"old-{index}", lifetime="2h")
    clock.advance(timedelta(days=31))

    assert f"deleted {PURGE_BATCH_SIZE * 2 + 3} rooms " in purge()
    assert room_names() == []


def test_negative_days_are_refused(rooms):
    with pytest.raises(CommandError):
        purge("--days", "-1")
    assert room_names() == ["ancient", "live", "recent"]

"""CompiledQuery: the same rows and models as the ORM's own read, with the SQL built once per shape."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models.sql.compiler import SQLCompiler

from rooms import services
from rooms.models import Message, Participant, Room, RoomEvent
from todaysmeet.db import compiled_query
from todaysmeet.db.compiled_query import CompiledQuery

pytestmark = pytest.mark.django_db


def participant_by_token():
    return CompiledQuery(
        lambda *, token_hash: Participant.objects.select_related("room__owner").filter(token_hash=token_hash)[:1],
        values={"token_hash": str},
    )


def events_after():
    return CompiledQuery(
        lambda limit, *, room_id, since: (
            RoomEvent.objects.filter(room_id=room_id, seq__gt=since).select_related("message").order_by("seq")[:limit]
        ),
        values={"room_id": int, "since": int},
    )


@pytest.fixture
def compilations(monkeypatch) -> list[str]:
    """The SQL of every queryset compiled from here on, by anyone."""
    compiled: list[str] = []
    original = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        sql, params = original(self, *args, **kwargs)
        compiled.append(sql)
        return sql, params

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    return compiled


def test_a_read_with_select_related_gives_the_models_the_orm_gives(participant, django_assert_num_queries):
    read = participant_by_token()
    expected = Participant.objects.select_related("room__owner").get(pk=participant.obj.pk)

    with django_assert_num_queries(1):
        found = read.first(token_hash=participant.obj.token_hash)
        # The related rows came with it: no further query.
        assert found.room.owner.email == expected.room.owner.email

    assert found == expected
    assert {field.attname: getattr(found, field.attname) for field in Participant._meta.concrete_fields} == {
        field.attname: getattr(expected, field.attname) for field in Participant._meta.concrete_fields
    }
    assert found.room.seq == expected.room.seq
    assert found._state.adding is False
    assert found._state.db == "default"


def test_an_unknown_value_finds_nothing(participant):
    assert participant_by_token().first(token_hash="0" * 64) is None


def test_the_sql_is_built_once_and_run_with_each_call_s_values(room, owner, compilations):
    read = events_after()
    for index in range(3):
        services.message_post(room=room, author=owner.obj, text=f"message {index}")

    first = read.all(10, room_id=room.pk, since=0)
    second = read.all(10, room_id=room.pk, since=2)

    assert [event.seq for event in first] == [1, 2, 3]
    assert [event.seq for event in second] == [3]
    event_reads = [sql for sql in compilations if RoomEvent._meta.db_table in sql]
    assert len(event_reads) == 1


def test_each_shape_has_its_own_sql(room, owner):
    read = events_after()
    for index in range(3):
        services.message_post(room=room, author=owner.obj, text=f"message {index}")

    assert [event.seq for event in read.all(1, room_id=room.pk, since=0)] == [1]
    assert [event.seq for event in read.all(2, room_id=room.pk, since=0)] == [1, 2]


def test_values_come_back_converted_as_the_orm_converts_them(room, owner, participant):
    client_id = uuid.uuid4()
    message, _ = services.message_post(room=room, author=participant.obj, text="with an id", client_id=str(client_id))
    services.message_update(room=room, message=message, changes={"pinned": True})

    events = events_after().all(10, room_id=room.pk, since=0)
    expected = list(RoomEvent.objects.filter(room=room).select_related("message").order_by("seq"))

    assert [(event.seq, event.type, event.data, event.created_at) for event in events] == [
        (event.seq, event.type, event.data, event.created_at) for event in expected
    ]
    assert events[0].message.client_id == client_id
    assert isinstance(events[0].message.client_id, uuid.UUID)
    assert events[0].created_at.tzinfo is not None


def test_a_lookup_that_rewrites_its_value_is_refused_when_first_run(room):
    read = CompiledQuery(lambda *, name: Room.objects.filter(name__contains=name)[:1], values={"name": str})

    with pytest.raises(ImproperlyConfigured, match="not parameters"):
        read.first(name=room.name)


def test_reads_of_anything_but_models_are_refused(room):
    read = CompiledQuery(lambda *, room_id: Room.objects.filter(pk=room_id).values_list("seq"), values={"room_id": int})

    with pytest.raises(ImproperlyConfigured, match="models only"):
        read.all(room_id=room.pk)


def test_only_str_and_int_values_are_taken():
    with pytest.raises(ImproperlyConfigured, match="only str and int"):
        CompiledQuery(lambda *, when: Message.objects.filter(created_at__gt=when), values={"when": object})


def test_the_values_must_be_the_ones_named(room):
    read = CompiledQuery(lambda *, room_id: Room.objects.filter(pk=room_id)[:1], values={"room_id": int})

    with pytest.raises(TypeError, match="room_id"):
        read.first(pk=room.pk)


def test_the_oldest_shapes_are_let_go(room, owner, monkeypatch, compilations):
    monkeypatch.setattr(compiled_query, "MAX_SHAPES", 2)
    read = events_after()
    services.message_post(room=room, author=owner.obj, text="one")

    for limit in (1, 2, 3, 1):
        assert [event.seq for event in read.all(limit, room_id=room.pk, since=0)] == [1]

    # Limit 1 was let go when limit 3 came, so it was built again.
    assert len([sql for sql in compilations if RoomEvent._meta.db_table in sql]) == 4

"""Which database errors mean "the database is unreachable": those become 503, the rest stay bugs."""

from __future__ import annotations

import socket

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.utils import ConnectionHandler

from accounts.models import Teacher
from todaysmeet.errors import is_database_outage

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _error_of(action) -> DatabaseError:
    with pytest.raises(DatabaseError) as raised:
        action()
    return raised.value


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's connection errors")
def test_a_database_nobody_answers_at_is_an_outage():
    settings = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": _closed_port()}
    unreachable = ConnectionHandler({"default": settings})["default"]

    assert is_database_outage(_error_of(unreachable.ensure_connection))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement_timeout")
def test_a_query_the_database_refused_is_not_an_outage():
    def slow_query() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")

    assert not is_database_outage(_error_of(slow_query))


def test_a_broken_constraint_is_not_an_outage():
    Teacher.objects.create(email="a@school.example")

    def duplicate() -> None:
        with transaction.atomic():
            Teacher.objects.create(email="a@school.example")

    error = _error_of(duplicate)
    assert isinstance(error, IntegrityError)
    assert not is_database_outage(error)

"""A room with an owner and students, made directly in the test database for tests that run real servers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.db import connection

from accounts import services as account_services
from accounts.models import Teacher
from rooms import services
from rooms.models import Message
from tests.integration.clients import HttpApi


@dataclass
class Classroom:
    name: str
    room_id: int
    owner_token: str
    student_tokens: list[str]


def signed_up_teacher_token(api: HttpApi, email: str, password: str) -> str:
    """Blocking. Sign up through the API, finish as the welcome email's link would, and sign in for a token.

    The link itself is opened in a real browser by tests/browser; here it is
    its service, in the test database the server shares.
    """
    status, body = api.request("POST", "/api/teachers", {"email": email, "password": password})
    assert status == 202, body
    account_services.teacher_sign_up_confirm(teacher=Teacher.objects.get(email=email))
    status, body = api.request("POST", "/api/tokens", {"email": email, "password": password})
    assert status == 200, body
    return body["token"]


def open_classroom(owner, make_participant: Callable, *, name: str, students: int) -> Classroom:
    """Blocking: call it from a fixture. Written through the services, as the API would."""
    room = services.room_create(owner=owner.obj, name=name, topic="Scale")
    tokens = [make_participant(room, f"student {index}").token for index in range(students)]
    return Classroom(name=room.name, room_id=room.pk, owner_token=owner.token, student_tokens=tokens)


@database_sync_to_async
def visible_in_database(room_name: str) -> dict[int, str]:
    try:
        return dict(
            Message.objects.filter(room__name=room_name, deleted_at__isnull=True)
            .order_by("seq")
            .values_list("id", "text")
        )
    finally:
        # This worker thread outlives the test; its connection must not
        # outlive the test database.
        connection.close()


@database_sync_to_async
def message_count_in_database(room_name: str) -> int:
    try:
        return Message.objects.filter(room__name=room_name).count()
    finally:
        connection.close()

"""The staff admin: staff only, fast on big tables, and every change through the services, live."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Teacher
from rooms import services
from rooms.models import Message, Report
from rooms.validation import clean_room_name
from streaming.close_codes import CLOSE_ROOM_DELETED
from streaming.tests.conftest import listen  # noqa: F401 (a fixture)
from streaming.tests.sockets import room_path
from todaysmeet.errors import Invalid

# Enough rows that a query per row would show; 100,000 on PostgreSQL, where they are cheap to make.
MANY_MESSAGES = 100_000 if connection.vendor == "postgresql" else 2_000
LIST_QUERY_BUDGET = 8


@pytest.fixture
def staff(db) -> Teacher:
    return Teacher.objects.create_superuser("staff@district.example", "a long enough passphrase")


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _changelist(model: str) -> str:
    app = "accounts" if model == "teacher" else "rooms"
    return reverse(f"admin:{app}_{model}_changelist")


def _fill_with_messages(room, participant, count: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO rooms_message (room_id, seq, participant_id, author_key, author_role, nickname, color,
                                           text, created_at, deleted_at)
                SELECT %s, n, %s, %s, 'participant', 'sam', '#0f766e', 'message ' || n, now(),
                       CASE WHEN n %% 10 = 0 THEN now() END
                FROM generate_series(1, %s) AS n
                """,
                [room.pk, participant.pk, f"p{participant.pk}", count],
            )
        return
    Message.objects.bulk_create(
        Message(
            room=room, seq=n, participant=participant, author_key=f"p{participant.pk}", nickname="sam", text=f"m {n}"
        )
        for n in range(1, count + 1)
    )


@pytest.mark.parametrize("model", ["teacher", "room", "participant", "message", "report"])
def test_the_admin_is_for_staff_only(client, owner, model):
    anonymous = client.get(_changelist(model))
    client.force_login(owner.obj)
    teacher = client.get(_changelist(model))

    assert anonymous.status_code == 302
    assert teacher.status_code == 302
    assert "/login/" in teacher["Location"]


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("teacher", "?q=owner"),
        ("room", "?q=biology"),
        ("participant", "?muted__exact=0"),
        ("message", ""),
        ("message", "?deleted=yes"),
        ("message", "?q=biology"),
        ("report", "?state=open"),
    ],
)
def test_list_pages_take_a_few_queries_however_many_rows(
    staff_client, room, participant, owner, django_assert_max_num_queries, model, query
):
    _fill_with_messages(room, participant.obj, MANY_MESSAGES)
    for message in Message.objects.filter(room=room).order_by("seq")[:30]:
        Report.objects.create(room=room, message=message, reporter=participant.obj)
    services.participant_join(room=room, nickname="ada")

    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        response = staff_client.get(_changelist(model) + query)

    assert response.status_code == 200


def test_the_message_page_shows_deleted_messages_and_who_deleted_them(staff_client, room, participant, owner):
    message, _ = services.message_post(room=room, author=participant.obj, text="rude words")
    services.message_delete(room=room, message=message, deleted_by=owner.obj)

    page = staff_client.get(_changelist("message") + "?deleted=yes").content.decode()

    assert "rude words" in page
    assert owner.obj.email in page


def test_the_admin_path_is_not_a_room_name_anyone_can_take(settings):
    settings.ADMIN_URL = "staff-7f3a/"

    with pytest.raises(Invalid) as refused:
        clean_room_name("staff-7f3a")

    assert refused.value.code == "name_reserved"


def test_production_has_no_admin_unless_an_admin_url_is_set(monkeypatch):
    import subprocess
    import sys

    from tests.servers import REPO_ROOT

    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "todaysmeet.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "meet.example.org",
    }
    probe = "from django.conf import settings; import django; django.setup(); print(repr(settings.ADMIN_URL))"
    answer = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True
    )

    assert answer.stdout.strip() == "''"


@pytest.mark.django_db(transaction=True)
async def test_deleting_a_message_in_the_admin_removes_it_from_open_sockets_live(listen, room, participant):  # noqa: F811
    staff = await sync_to_async(Teacher.objects.create_superuser)("staff@district.example", "a long passphrase")
    message, _ = await sync_to_async(services.message_post)(room=room, author=participant.obj, text="rude words")
    listener = await listen(room_path(room))
    await listener.next_frame()
    client = Client()
    await sync_to_async(client.force_login)(staff)

    await sync_to_async(client.post)(
        _changelist("message"), {"action": "delete_for_everyone", "_selected_action": [message.pk]}
    )
    frame = await listener.next_frame()

    assert frame == {"type": "message.deleted", "seq": 2, "message_id": message.pk}
    stored = await sync_to_async(Message.objects.select_related("deleted_by").get)(pk=message.pk)
    assert stored.deleted_by == staff


@pytest.mark.django_db(transaction=True)
async def test_closing_and_deleting_a_room_in_the_admin_reach_open_sockets_live(listen, room):  # noqa: F811
    staff = await sync_to_async(Teacher.objects.create_superuser)("staff@district.example", "a long passphrase")
    listener = await listen(room_path(room))
    await listener.next_frame()
    client = Client()
    await sync_to_async(client.force_login)(staff)

    await sync_to_async(client.post)(_changelist("room"), {"action": "close_rooms", "_selected_action": [room.pk]})
    closed = await listener.next_frame()
    await sync_to_async(client.post)(_changelist("room"), {"action": "delete_rooms", "_selected_action": [room.pk]})

    assert (closed["type"], closed["room"]["is_open"]) == ("room.updated", False)
    assert await listener.close_code() == CLOSE_ROOM_DELETED

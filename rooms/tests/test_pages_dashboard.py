"""/rooms/: the rooms a teacher owns or moderates."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from rooms import services

pytestmark = pytest.mark.django_db


def logged_in(persona) -> Client:
    client = Client()
    client.force_login(persona.obj)
    return client


def section(content: str, testid: str) -> str:
    match = re.search(rf'<section [^>]*data-testid="{testid}">(.*?)</section>', content, re.DOTALL)
    assert match, f"no {testid} section"
    return match.group(1)


def room_names(html: str) -> list[str]:
    return re.findall(r'data-testid="room-row" data-room="([^"]+)"', html)


@pytest.fixture
def rooms(owner, other_teacher, clock):
    """Owner: biology (open), chemistry (closed); moderates colleague's physics; not colleague's history."""
    services.room_create(owner=owner.obj, name="chemistry", lifetime="2h")
    clock.advance(timedelta(hours=3))
    services.room_create(owner=owner.obj, name="biology", topic="Cells")
    physics = services.room_create(owner=other_teacher.obj, name="physics")
    services.moderator_add(room=physics, email=owner.obj.email)
    services.room_create(owner=other_teacher.obj, name="history")


def test_the_dashboard_needs_a_teacher_to_log_in(client):
    response = client.get("/rooms/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/rooms/"


def test_it_lists_owned_and_moderated_rooms_split_into_open_and_closed(owner, rooms):
    content = logged_in(owner).get("/rooms/").content.decode()

    assert room_names(section(content, "open-rooms")) == ["physics", "biology"]
    assert room_names(section(content, "closed-rooms")) == ["chemistry"]
    assert "history" not in content


def test_each_row_links_to_its_room_and_says_who_runs_it(owner, rooms):
    content = logged_in(owner).get("/rooms/").content.decode()

    assert 'href="/biology/" data-testid="room-link">biology</a>' in content
    physics = re.search(r'data-room="physics">(.*?)</li>', content, re.DOTALL).group(1)
    assert 'data-testid="co-moderator"' in physics
    biology = re.search(r'data-room="biology">(.*?)</li>', content, re.DOTALL).group(1)
    assert 'data-testid="co-moderator"' not in biology
    assert "Cells" in biology


def test_searching_filters_by_part_of_the_name(owner, rooms):
    content = logged_in(owner).get("/rooms/", {"q": "  LOG "}).content.decode()

    assert room_names(content) == ["biology"]
    assert 'value="LOG"' in content
    assert 'data-testid="clear-search"' in content


def test_a_search_that_matches_nothing_says_so(owner, rooms):
    content = logged_in(owner).get("/rooms/", {"q": "<zzz>"}).content.decode()

    assert room_names(content) == []
    assert "No open room matches “&lt;zzz&gt;”." in content
    assert "<zzz>" not in content


def test_open_reports_are_counted_per_room(owner, room, make_participant):
    reporter = make_participant(room, "kim")
    for text in ("one", "two"):
        message, _ = services.message_post(room=room, author=reporter.obj, text=text)
        services.report_create(room=room, reporter=reporter.obj, message=message)

    content = logged_in(owner).get("/rooms/").content.decode()

    assert re.search(r'data-testid="open-reports">\s*2 open reports</a>', content)


def test_a_room_without_reports_shows_no_count(owner, room):
    content = logged_in(owner).get("/rooms/").content.decode()

    assert 'data-testid="open-reports"' not in content


def test_a_teacher_with_no_rooms_is_offered_to_create_one(other_teacher):
    content = logged_in(other_teacher).get("/rooms/").content.decode()

    assert 'href="/rooms/new/" data-testid="new-room"' in content
    assert "No open rooms." in content
    assert "No closed rooms." in content


def test_topics_are_escaped(owner):
    services.room_create(owner=owner.obj, name="xss", topic="<script>alert(1)</script>")

    content = logged_in(owner).get("/rooms/").content.decode()

    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_the_navigation_links_a_signed_in_teacher_to_the_dashboard(owner):
    content = logged_in(owner).get("/").content.decode()

    assert 'href="/rooms/" data-testid="my-rooms"' in content

"""/rooms/: the rooms a teacher owns or moderates."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from conftest import moderator_made
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
    moderator_made(physics, owner.obj)
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


class TestInvitations:
    @pytest.fixture
    def invited(self, owner, other_teacher):
        physics = services.room_create(owner=other_teacher.obj, name="physics")
        invitation, _ = services.moderator_invite(room=physics, email=owner.obj.email)
        return invitation

    def test_the_dashboard_lists_invitations_with_who_sent_them(self, owner, invited):
        page = logged_in(owner).get("/rooms/").content.decode()

        invitations = section(page, "invitations")
        assert 'data-room="physics"' in invitations
        assert "colleague@school.example" in invitations
        assert 'data-testid="accept-invitation"' in invitations

    def test_no_invitations_no_section(self, owner, room):
        assert 'data-testid="invitations"' not in logged_in(owner).get("/rooms/").content.decode()

    def test_accepting_goes_to_the_room_as_its_co_moderator(self, owner, invited):
        client = logged_in(owner)

        response = client.post(f"/rooms/invitations/{invited.pk}/accept/")

        assert response["Location"] == "/physics/"
        assert "physics" in room_names(section(client.get("/rooms/").content.decode(), "open-rooms"))

    def test_declining_stays_on_the_dashboard_without_it(self, owner, invited):
        client = logged_in(owner)

        response = client.post(f"/rooms/invitations/{invited.pk}/decline/")

        assert response["Location"] == "/rooms/"
        assert 'data-testid="invitations"' not in client.get("/rooms/").content.decode()

    def test_someone_elses_invitation_is_404(self, make_teacher, invited):
        stranger = logged_in(make_teacher("stranger@school.example"))

        assert stranger.post(f"/rooms/invitations/{invited.pk}/accept/").status_code == 404

    def test_answering_needs_a_post(self, owner, invited):
        assert logged_in(owner).get(f"/rooms/invitations/{invited.pk}/accept/").status_code == 405

"""GET and POST /api/rooms/<name>/moderators: the owner invites, the invited teacher accepts.

The owner's answer never tells whether an address belongs to a teacher:
either way an invitation is emailed (a teacher's to accept, anyone else's
to sign up first).
"""

from __future__ import annotations

import pytest
from django.core import mail

from conftest import moderator_made
from rooms.models import ModeratorInvitation, RoomModerator
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY, OWNER_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology/moderators"


@pytest.fixture
def colleague(make_teacher):
    return make_teacher("science@school.example")


def invite(api, owner, email="science@school.example"):
    return api.post(URL, {"email": email}, token=owner.token)


@pytest.mark.parametrize(("persona", "expected"), OWNER_ONLY)
def test_only_the_owner_invites_moderators(api, room, colleague, token_of, persona, expected):
    response = api.post(URL, {"email": "science@school.example"}, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 202
        assert response.body == {
            "invitation": {"email": "science@school.example", "invited_at": response.body["invitation"]["invited_at"]}
        }
    else:
        assert error_of(response) == expected
        assert not ModeratorInvitation.objects.exists()


@pytest.mark.parametrize("email", ["science@school.example", "nobody.yet@school.example"])
def test_inviting_adds_nobody_until_they_accept(api, room, owner, colleague, email):
    invite(api, owner, email)

    assert not RoomModerator.objects.filter(teacher=colleague.obj).exists()
    assert error_of(api.patch("/api/rooms/biology", {"paused": True}, token=colleague.token)) == (
        403,
        "not_moderator",
    )


def test_a_teacher_and_an_unknown_address_get_the_same_answer(api, room, owner, colleague):
    known = invite(api, owner, "Science@School.example")
    unknown = invite(api, owner, "nobody.yet@school.example")

    assert (known.status, unknown.status) == (202, 202)
    assert set(known.body["invitation"]) == set(unknown.body["invitation"])
    assert known.body["invitation"]["email"] == "science@school.example"
    assert set(known.headers) == set(unknown.headers)


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_the_rooms_teachers_list_moderators_and_pending_invitations(
    api, room, owner, token_of, persona, expected, colleague
):
    invite(api, owner)

    response = api.get(URL, token=token_of(persona))

    if expected == ALLOWED:
        assert response.body["moderators"] == [{"email": "helper@school.example"}]
        assert [invitation["email"] for invitation in response.body["invitations"]] == ["science@school.example"]
    else:
        assert error_of(response) == expected


def test_inviting_again_keeps_one_invitation(api, room, owner, colleague):
    invite(api, owner)

    again = invite(api, owner)

    assert again.status == 202
    assert ModeratorInvitation.objects.count() == 1


def test_inviting_a_co_moderator_again_says_they_already_are(api, room, owner, moderator):
    response = invite(api, owner, "helper@school.example")

    assert error_of(response) == (409, "already_moderator")


def test_the_owner_cannot_invite_themselves(api, room, owner):
    response = invite(api, owner, "owner@school.example")

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "email"


@pytest.mark.parametrize("email", [None, "", "not an email", 42, ["a@b.example"], "a\x00@school.example"])
def test_a_missing_or_malformed_email_returns_400(api, room, owner, email):
    response = api.post(URL, {"email": email}, token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "email"


def test_a_moderator_cannot_invite(api, room, moderator, colleague):
    assert error_of(invite(api, moderator)) == (403, "not_owner")


def test_an_unknown_room_gets_404(api, room, owner, colleague):
    response = api.post("/api/rooms/chemistry/moderators", {"email": "science@school.example"}, token=owner.token)

    assert error_of(response) == (404, "room_not_found")


def test_moderators_are_listed_in_the_order_they_accepted(api, room, owner, moderator, colleague):
    moderator_made(room, colleague.obj)

    assert api.get(URL, token=owner.token).body["moderators"] == [
        {"email": "helper@school.example"},
        {"email": "science@school.example"},
    ]


@pytest.mark.django_db(transaction=True)
class TestTheEmail:
    def test_a_teacher_is_emailed_a_link_to_accept_on_their_rooms_page(self, api, room, owner, colleague):
        mail.outbox.clear()

        invite(api, owner)

        [email] = mail.outbox
        assert email.to == ["science@school.example"]
        assert "owner invited you to co-moderate" in email.subject
        assert "http://127.0.0.1:8000/rooms/" in email.body
        assert "/accounts/signup/" not in email.body

    def test_an_unknown_address_is_emailed_a_link_to_sign_up_first(self, api, room, owner):
        mail.outbox.clear()

        invite(api, owner, "nobody.yet@school.example")

        [email] = mail.outbox
        assert email.to == ["nobody.yet@school.example"]
        assert "http://127.0.0.1:8000/accounts/signup/?next=%2Frooms%2F" in email.body

    def test_inviting_again_at_once_emails_once_and_later_again(self, api, room, owner, colleague, clock):
        from datetime import timedelta

        mail.outbox.clear()
        invite(api, owner)
        invite(api, owner)
        assert len(mail.outbox) == 1

        clock.advance(timedelta(minutes=3))
        invite(api, owner)

        assert len(mail.outbox) == 2

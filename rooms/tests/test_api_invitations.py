"""GET /api/invitations and POST /api/invitations/<id>/accept and /decline: the invited teacher's side."""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import ModeratorInvitation, RoomModerator
from tests.assertions import error_of


@pytest.fixture
def colleague(make_teacher):
    return make_teacher("science@school.example")


@pytest.fixture
def invitation(room, colleague) -> ModeratorInvitation:
    invitation, _ = services.moderator_invite(room=room, email="science@school.example")
    return invitation


def test_the_invited_teacher_lists_their_invitations(api, colleague, invitation):
    response = api.get("/api/invitations", token=colleague.token)

    assert response.body == {
        "invitations": [
            {
                "id": invitation.pk,
                "room": {"name": "biology", "topic": "Cells", "url": "http://testserver/biology/"},
                "invited_by": {"name": "owner", "email": "owner@school.example"},
                "invited_at": response.body["invitations"][0]["invited_at"],
            }
        ]
    }


def test_nobody_else_sees_them(api, owner, other_teacher, invitation):
    assert api.get("/api/invitations", token=other_teacher.token).body == {"invitations": []}
    assert api.get("/api/invitations", token=owner.token).body == {"invitations": []}


def test_accepting_makes_them_a_moderator_at_once(api, room, colleague, invitation):
    response = api.post(f"/api/invitations/{invitation.pk}/accept", token=colleague.token)

    assert response.status == 200
    assert (response.body["room"]["name"], response.body["room"]["role"]) == ("biology", "moderator")
    assert api.patch("/api/rooms/biology", {"paused": True}, token=colleague.token).status == 200
    assert not ModeratorInvitation.objects.exists()


def test_declining_drops_the_invitation_and_adds_nobody(api, colleague, invitation):
    response = api.post(f"/api/invitations/{invitation.pk}/decline", token=colleague.token)

    assert response.status == 204
    assert not ModeratorInvitation.objects.exists()
    assert not RoomModerator.objects.exists()


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_someone_elses_invitation_is_404_as_a_missing_one(api, other_teacher, invitation, action):
    response = api.post(f"/api/invitations/{invitation.pk}/{action}", token=other_teacher.token)

    assert error_of(response) == (404, "invitation_not_found")
    assert error_of(api.post(f"/api/invitations/{invitation.pk + 1}/{action}", token=other_teacher.token)) == (
        404,
        "invitation_not_found",
    )
    assert ModeratorInvitation.objects.count() == 1


def test_a_participant_token_is_403_and_nothing_is_401(api, invitation, participant):
    assert error_of(api.get("/api/invitations", token=participant.token)) == (403, "teacher_only")
    assert error_of(api.get("/api/invitations")) == (401, "unauthenticated")


def test_an_account_whose_address_is_not_verified_must_verify_first(api, room, owner):
    from accounts import services as account_services
    from accounts.models import Teacher

    early = Teacher.objects.create_user("early@school.example", "a long enough passphrase")
    token = account_services.teacher_token_issue(teacher=early)
    invitation, _ = services.moderator_invite(room=room, email="early@school.example")

    response = api.post(f"/api/invitations/{invitation.pk}/accept", token=token)

    assert error_of(response) == (403, "email_unverified")
    assert not RoomModerator.objects.exists()


def test_someone_who_signs_up_later_with_the_address_finds_it_waiting(api, room, make_teacher):
    invitation, _ = services.moderator_invite(room=room, email="late@school.example")
    late = make_teacher("late@school.example")

    listed = api.get("/api/invitations", token=late.token).body["invitations"]

    assert [item["id"] for item in listed] == [invitation.pk]
    assert api.post(f"/api/invitations/{invitation.pk}/accept", token=late.token).status == 200


def test_the_owner_cancels_an_invitation_like_removing_a_moderator(api, owner, colleague, invitation):
    assert api.delete("/api/rooms/biology/moderators/science@school.example", token=owner.token).status == 204

    assert not ModeratorInvitation.objects.exists()
    assert error_of(api.post(f"/api/invitations/{invitation.pk}/accept", token=colleague.token)) == (
        404,
        "invitation_not_found",
    )

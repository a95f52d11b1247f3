"""DELETE /api/rooms/<name>/moderators/<email>"""

from __future__ import annotations

import pytest

from rooms.models import RoomModerator
from rooms.tests.personas import ALLOWED, OWNER_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology/moderators/helper@school.example"


@pytest.mark.parametrize(("persona", "expected"), OWNER_ONLY)
def test_only_the_owner_removes_moderators(api, room, token_of, persona, expected):
    response = api.delete(URL, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 204
        assert not RoomModerator.objects.exists()
    else:
        assert error_of(response) == expected
        assert RoomModerator.objects.count() == 1


def test_a_removed_moderator_loses_their_powers_at_once(api, room, owner, moderator, participant):
    api.delete(URL, token=owner.token)

    assert error_of(api.patch("/api/rooms/biology", {"paused": True}, token=moderator.token)) == (
        403,
        "not_moderator",
    )
    assert "role" not in api.get("/api/rooms/biology", token=moderator.token).body
    assert api.get("/api/rooms", token=moderator.token).body == {"rooms": []}


def test_removing_again_is_still_204(api, room, owner, moderator):
    api.delete(URL, token=owner.token)

    assert api.delete(URL, token=owner.token).status == 204


@pytest.mark.parametrize("email", ["nobody@school.example", "not-an-email", "owner@school.example", "%00"])
def test_removing_someone_who_is_not_a_moderator_is_204_and_changes_nothing(api, room, owner, moderator, email):
    response = api.delete(f"/api/rooms/biology/moderators/{email}", token=owner.token)

    assert response.status == 204
    assert RoomModerator.objects.count() == 1


def test_the_email_is_matched_in_any_case(api, room, owner, moderator):
    assert api.delete("/api/rooms/biology/moderators/Helper@School.example", token=owner.token).status == 204
    assert not RoomModerator.objects.exists()


def test_a_moderator_cannot_remove_themselves_or_others(api, room, moderator):
    assert error_of(api.delete(URL, token=moderator.token)) == (403, "not_owner")

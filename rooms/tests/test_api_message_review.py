"""The review queue over the API: held posts, POST …/approve and …/reject, GET …/messages?status=held."""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Message
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

MESSAGES = "/api/rooms/biology/messages"


@pytest.fixture
def reviewed(room):
    return services.room_update(room=room, changes={"review": True})


@pytest.fixture
def held(reviewed, make_participant) -> Message:
    return services.message_post(room=reviewed, author=make_participant(reviewed, "asker").obj, text="held back")[0]


def events(api, token: str | None = None, since: int = 0) -> list[dict]:
    return api.get(f"/api/rooms/biology/events?since={since}", token=token).body["events"]


def test_a_held_post_answers_202_with_status_held(api, reviewed, participant):
    response = api.post(
        MESSAGES, {"text": "is this ok?", "client_id": "6f1c1d0e-2f39-4c1f-9d4d-5d6c1f6e9a11"}, token=participant.token
    )

    assert response.status == 202
    assert (response.body["status"], response.body["message"]["status"]) == ("held", "held")

    again = api.post(
        MESSAGES, {"text": "is this ok?", "client_id": "6f1c1d0e-2f39-4c1f-9d4d-5d6c1f6e9a11"}, token=participant.token
    )
    assert (again.status, again.body["message"]["id"]) == (200, response.body["message"]["id"])


def test_a_held_post_is_known_to_its_author_and_the_moderators_only(
    api, room, held, owner, moderator, make_participant
):
    author = held.participant
    author_token = services.participant_join(room=room, nickname="asker", rejoining=author)[1]
    bystander = make_participant(room, "bystander").token

    for token in (owner.token, moderator.token, author_token):
        assert [(event["type"], event["message"]["text"]) for event in events(api, token, since=1)] == [
            ("message.held", "held back")
        ]
    for token in (bystander, None):
        assert events(api, token, since=1) == [{"type": "skip", "seq": 2}]
        assert api.get(MESSAGES, token=token).body["messages"] == []
        assert "held back" not in str(api.get(MESSAGES + "?status=held", token=token).body)


def test_the_queue_lists_every_held_post_for_moderators_and_their_own_for_participants(
    api, reviewed, owner, participant, make_participant
):
    mine = services.message_post(room=reviewed, author=participant.obj, text="mine")[0]
    theirs = services.message_post(room=reviewed, author=make_participant(reviewed, "kim").obj, text="theirs")[0]

    queue = api.get(MESSAGES + "?status=held", token=owner.token).body["messages"]
    own = api.get(MESSAGES + "?status=held", token=participant.token).body["messages"]

    assert [(message["id"], message["status"]) for message in queue] == [(mine.pk, "held"), (theirs.pk, "held")]
    assert [message["id"] for message in own] == [mine.pk]


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_the_rooms_teachers_approve_and_reject(api, held, token_of, persona, expected, action):
    response = api.post(f"{MESSAGES}/{held.pk}/{action}", token=token_of(persona))

    held.refresh_from_db()
    if expected == ALLOWED:
        assert response.status == 200
        assert (
            response.body["message"]["status"] == held.status == {"approve": "published", "reject": "rejected"}[action]
        )
    else:
        assert error_of(response) == expected
        assert held.status == "held"


def test_approving_publishes_it_to_everyone_at_the_approvals_seq(api, held, owner):
    response = api.post(f"{MESSAGES}/{held.pk}/approve", token=owner.token)
    again = api.post(f"{MESSAGES}/{held.pk}/approve", token=owner.token)

    assert response.body["message"]["seq"] == 3
    assert again.status == 200
    approved = events(api, since=2)
    assert [(event["type"], event["seq"], event["message"]["seq"]) for event in approved] == [("message.created", 3, 3)]
    assert (approved[0]["message"]["text"], approved[0]["message"]["status"]) == ("held back", "published")
    assert [message["text"] for message in api.get(MESSAGES).body["messages"]] == ["held back"]


def test_rejecting_tells_the_author_and_moderators_only(api, room, held, owner, make_participant):
    api.post(f"{MESSAGES}/{held.pk}/reject", token=owner.token)

    assert events(api, owner.token, since=2) == [{"type": "message.rejected", "seq": 3, "message_id": held.pk}]
    assert events(api, make_participant(room, "kim").token, since=2) == [{"type": "skip", "seq": 3}]


def test_reviewing_the_other_way_after_a_decision_is_a_conflict(api, held, owner):
    api.post(f"{MESSAGES}/{held.pk}/reject", token=owner.token)

    assert error_of(api.post(f"{MESSAGES}/{held.pk}/approve", token=owner.token)) == (409, "message_rejected")


def test_deleting_a_held_post_is_a_conflict(api, held, owner):
    assert error_of(api.delete(f"{MESSAGES}/{held.pk}", token=owner.token)) == (409, "message_held")


def test_a_held_post_cannot_be_reported(api, held, participant):
    assert error_of(api.post(f"{MESSAGES}/{held.pk}/report", token=participant.token)) == (404, "message_not_found")


def test_the_word_filter_in_hold_mode_holds_a_matching_post_with_review_off(api, room, owner, participant):
    api.patch("/api/rooms/biology", {"word_filter": "hold"}, token=owner.token)

    held = api.post(MESSAGES, {"text": "this is sh1t"}, token=participant.token)
    fine = api.post(MESSAGES, {"text": "this is fine"}, token=participant.token)

    assert (held.status, fine.status) == (202, 201)
    queue = api.get(MESSAGES + "?status=held", token=owner.token).body["messages"]
    assert [(message["text"], message["filtered"]) for message in queue] == [("this is sh1t", True)]

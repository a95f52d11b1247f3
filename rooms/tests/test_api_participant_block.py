"""POST /api/rooms/<name>/participants/<id>/block and /unblock: remove and block, and allow back."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from conftest import ApiClient
from rooms import services
from rooms.models import Participant
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

ROOM = "/api/rooms/biology"


def url(participant_id: int, action: str = "block") -> str:
    return f"{ROOM}/participants/{participant_id}/{action}"


def events(api, token: str | None = None) -> list[dict]:
    return api.get(f"{ROOM}/events?since=0", token=token).body["events"]


@pytest.fixture
def browser(room) -> ApiClient:
    """A student's browser at school, joined as kim."""
    client = ApiClient(Client(REMOTE_ADDR="203.0.113.10"))
    assert client.post(f"{ROOM}/join", {"nickname": "kim"}).status == 201
    return client


@pytest.fixture
def kim(browser) -> Participant:
    return Participant.objects.get(nickname="kim")


@pytest.fixture
def block(api, owner):
    def block(participant: Participant, action: str = "block"):
        return api.post(url(participant.pk, action), token=owner.token)

    return block


@pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
def test_only_the_rooms_teachers_remove_participants(api, room, participant, token_of, persona, expected):
    response = api.post(url(participant.obj.pk), token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 200
        assert (response.body["participant"]["removed"], response.body["participant"]["muted"]) == (True, True)
    else:
        assert error_of(response) == expected
        assert Participant.objects.get(pk=participant.obj.pk).blocked_at is None


def test_removing_answers_the_moderator_view_and_streams_participant_updated(api, room, owner, participant):
    response = api.post(url(participant.obj.pk), token=owner.token)

    listed = api.get(f"{ROOM}/participants", token=owner.token).body["participants"]
    assert response.body == {"participant": listed[0]}
    # Classmates aren't told who was removed: their stream only moves on.
    assert events(api) == [{"type": "skip", "seq": 1}]
    assert events(api, owner.token) == [
        {
            "type": "participant.updated",
            "seq": 1,
            "participant": {
                "id": participant.obj.pk,
                "nickname": "sam",
                "color": participant.obj.color,
                "muted": True,
                "removed": True,
            },
        }
    ]


def test_removing_twice_records_one_event(api, room, owner, participant):
    api.post(url(participant.obj.pk), token=owner.token)

    again = api.post(url(participant.obj.pk), token=owner.token)

    assert again.status == 200
    assert len(events(api)) == 1


def test_their_token_no_longer_posts_reports_or_joins(api, room, owner, participant, make_participant):
    message = services.message_post(room=room, author=make_participant(room, "kim").obj, text="hi")[0]
    api.post(url(participant.obj.pk), token=owner.token)

    post = api.post(f"{ROOM}/messages", {"text": "I'm back"}, token=participant.token)
    report = api.post(f"{ROOM}/messages/{message.pk}/report", token=participant.token)
    join = api.post(f"{ROOM}/join", {"nickname": "sam2"}, token=participant.token)

    assert [error_of(post), error_of(report), error_of(join)] == [(403, "removed")] * 3


def test_their_browser_can_neither_post_nor_join_again(browser, kim, block):
    block(kim)

    assert error_of(browser.post(f"{ROOM}/messages", {"text": "hi"})) == (403, "removed")
    assert error_of(browser.post(f"{ROOM}/join", {"nickname": "not kim"})) == (403, "removed")


def test_their_browser_key_is_refused_without_the_session(browser, kim, block):
    block(kim)
    del browser.client.cookies[settings.SESSION_COOKIE_NAME]

    assert error_of(browser.post(f"{ROOM}/join", {"nickname": "not kim"})) == (403, "removed")


def test_a_fresh_identity_from_their_address_starts_muted(room, kim, block):
    block(kim)
    private_window = ApiClient(Client(REMOTE_ADDR="203.0.113.10"))

    fresh = private_window.post(f"{ROOM}/join", {"nickname": "new me"})

    assert fresh.status == 201
    assert fresh.body["participant"]["muted"] is True
    assert error_of(private_window.post(f"{ROOM}/messages", {"text": "hi"})) == (403, "muted")


def test_they_may_no_longer_read_a_private_room(api, room, owner):
    services.room_update(room=room, changes={"password": "mitosis"})
    joined = api.post(f"{ROOM}/join", {"nickname": "kim", "password": "mitosis"}).body
    api.post(url(joined["participant"]["id"]), token=owner.token)

    assert error_of(api.get(f"{ROOM}/messages", token=joined["token"])) == (403, "removed")


def test_the_page_tells_a_removed_browser_so_and_offers_no_join(browser, kim, block):
    block(kim)

    page = browser.client.get("/biology/")

    assert b'"removed": true' in page.content


def test_allowing_them_back_leaves_them_muted_until_unmuted(api, owner, browser, kim, block):
    block(kim)

    response = block(kim, "unblock")

    assert (response.body["participant"]["removed"], response.body["participant"]["muted"]) == (False, True)
    assert browser.post(f"{ROOM}/join", {"nickname": "kim"}).status == 200
    assert error_of(browser.post(f"{ROOM}/messages", {"text": "sorry"})) == (403, "muted")
    api.post(url(kim.pk, "unmute"), token=owner.token)
    assert browser.post(f"{ROOM}/messages", {"text": "sorry"}).status == 201


def test_another_rooms_participant_is_404(api, owner, room, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")
    stranger = make_participant(elsewhere, "kim")

    assert error_of(api.post(url(stranger.obj.pk), token=owner.token)) == (404, "participant_not_found")

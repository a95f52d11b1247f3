"""Anonymous rooms over HTTP: participants' posts are "Anonymous" to everyone but the moderators and their author."""

from __future__ import annotations

import pytest
from django.test import Client

from rooms import services
from rooms.models import Message

MESSAGES = "/api/rooms/biology/messages"


@pytest.fixture
def anonymous_room(room):
    return services.room_update(room=room, changes={"anonymous": True})


@pytest.fixture
def asked(anonymous_room, make_participant) -> Message:
    """A question from "secret-sam", whom nobody but the teachers may name."""
    author = make_participant(anonymous_room, "secret-sam").obj
    return services.message_post(room=anonymous_room, author=author, text="Can I resit?")[0]


def page_text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def leaks(payload: object, message: Message) -> bool:
    text = str(payload)
    return "secret-sam" in text or message.color in text or f"'participant_id': {message.participant_id}" in text


def test_participants_and_visitors_see_anonymous_without_colour_or_id(api, asked, participant):
    for token in (participant.token, None):
        shown = api.get(MESSAGES, token=token).body["messages"][0]

        assert (shown["nickname"], shown["participant_id"], shown["color"]) == ("Anonymous", None, None)
        assert shown["anonymous"] is True
        assert not leaks(api.get(MESSAGES, token=token).body, asked)
        assert not leaks(api.get("/api/rooms/biology/events?since=0", token=token).body, asked)


def test_the_moderators_still_see_who_asked(api, asked, owner, moderator):
    for token in (owner.token, moderator.token):
        shown = api.get(MESSAGES, token=token).body["messages"][0]

        assert (shown["nickname"], shown["participant_id"], shown["color"]) == (
            "secret-sam",
            asked.participant_id,
            asked.color,
        )


def test_the_author_sees_their_own_name_on_their_post(api, anonymous_room, asked):
    token = services.participant_join(room=anonymous_room, nickname="secret-sam", rejoining=asked.participant)[1]

    shown = api.get(MESSAGES, token=token).body["messages"][0]

    assert (shown["nickname"], shown["participant_id"]) == ("secret-sam", asked.participant_id)


def test_the_room_page_and_printable_transcript_name_nobody(anonymous_room, asked):
    browser = Client()
    browser.post("/api/rooms/biology/join", {"nickname": "kim"}, content_type="application/json")

    for path in ("/biology/", "/biology/transcript/", "/biology/projector/"):
        assert "secret-sam" not in page_text(browser.get(path))
    assert "Anonymous" in page_text(browser.get("/biology/transcript/"))


def test_a_reporter_sees_the_reported_message_as_they_saw_it(api, asked, participant):
    response = api.post(f"{MESSAGES}/{asked.pk}/report", token=participant.token)

    assert response.status == 201
    assert response.body["report"]["message"]["nickname"] == "Anonymous"
    assert not leaks(response.body, asked)


def test_turning_anonymity_off_leaves_earlier_posts_anonymous(api, anonymous_room, asked, owner):
    api.patch("/api/rooms/biology", {"anonymous": False}, token=owner.token)

    assert api.get(MESSAGES).body["messages"][0]["nickname"] == "Anonymous"


def test_teachers_posts_keep_their_names(api, anonymous_room, owner):
    services.message_post(room=anonymous_room, author=owner.obj, text="Welcome")

    assert api.get(MESSAGES).body["messages"][0]["nickname"] == "owner"

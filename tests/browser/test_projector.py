"""The projector page in a real Chromium against a real Daphne: what the classroom screen shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rooms import services
from tests.browser.people import expect_live, message_with, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOM_API = "/api/rooms/biology"


def test_the_projector_shows_a_new_message_live_and_drops_a_deleted_one(open_page, server, owner, room):
    kim, kim_token = services.participant_join(room=room, nickname="kim")
    services.message_post(room=room, author=kim, text="already here")
    projector = open_page("/biology/projector/")
    expect_live(projector)
    expect(texts(projector)).to_have_text(["already here"])
    expect(projector.get_by_test_id("composer")).to_have_count(0)

    status, answer = server.api("POST", f"{ROOM_API}/messages", {"text": "Is a virus alive?"}, token=kim_token)
    assert status == 201

    expect(texts(projector)).to_have_text(["already here", "Is a virus alive?"])
    expect(message_with(projector, "Is a virus alive?").get_by_test_id("message-nickname")).to_have_text("kim")

    message_id = answer["message"]["id"]
    assert server.api("DELETE", f"{ROOM_API}/messages/{message_id}", token=owner.token)[0] == 204

    expect(texts(projector)).to_have_text(["already here"])


def test_the_projector_follows_the_topic_and_says_when_the_room_is_paused(open_page, server, owner, room):
    projector = open_page("/biology/projector/")
    expect_live(projector)
    expect(projector.get_by_test_id("room-topic")).to_have_text("Cells")

    assert server.api("PATCH", ROOM_API, {"topic": "Viruses", "paused": True}, token=owner.token)[0] == 200

    expect(projector.get_by_test_id("room-topic")).to_have_text("Viruses")
    expect(projector.get_by_test_id("paused-notice")).to_be_visible()

    assert server.api("PATCH", ROOM_API, {"paused": False}, token=owner.token)[0] == 200

    expect(projector.get_by_test_id("paused-notice")).to_be_hidden()


def test_the_newest_message_stays_in_view(open_page, server, room):
    _, kim_token = services.participant_join(room=room, nickname="kim")
    for number in range(1, 31):
        services.message_post(room=room, author=room.owner, text=f"message {number} " + "words " * 20)
    projector = open_page("/biology/projector/")
    expect_live(projector)
    expect(texts(projector).last).to_be_in_viewport()
    expect(texts(projector).first).not_to_be_in_viewport()

    assert server.api("POST", f"{ROOM_API}/messages", {"text": "the newest"}, token=kim_token)[0] == 201

    expect(message_with(projector, "the newest")).to_be_in_viewport()


def test_user_text_on_the_projector_is_text_not_markup(open_page, server, room):
    _, token = services.participant_join(room=room, nickname="<img src=x onerror=alert(1)>")
    projector = open_page("/biology/projector/")
    expect_live(projector)

    assert server.api("POST", f"{ROOM_API}/messages", {"text": "<b>bold</b>"}, token=token)[0] == 201

    expect(message_with(projector, "<b>bold</b>").get_by_test_id("message-nickname")).to_have_text(
        "<img src=x onerror=alert(1)>"
    )
    expect(projector.get_by_test_id("messages").locator("b, img")).to_have_count(0)


def test_a_private_rooms_projector_points_a_stranger_to_the_room_page(open_page, server, owner, room):
    services.message_post(room=room, author=owner.obj, text="secret")
    assert server.api("PATCH", ROOM_API, {"password": "open sesame"}, token=owner.token)[0] == 200

    projector = open_page("/biology/projector/")

    expect(projector.get_by_test_id("projector-ended")).to_contain_text("This room is private.")
    expect(texts(projector)).to_have_count(0)

"""WCAG 2.2 AA with axe-core on every page and state, at phone and desktop sizes, light and dark.

Any violation fails, whatever its impact: a new one must be fixed, not added
to a list.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rooms import services
from tests.browser.accessibility import violations_in_every_look
from tests.browser.people import expect_live, join, message_with, post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def busy_room(room, owner):
    """The biology room mid-lesson: messages from students and the teacher, one pinned, one answered,
    one deleted, one reported, and one held for review."""
    kim, _ = services.participant_join(room=room, nickname="kim")
    lee, _ = services.participant_join(room=room, nickname="lee")
    question, _ = services.message_post(room=room, author=kim, text="Is a virus alive?")
    services.message_update(room=room, message=question, changes={"pinned": True})
    answered, _ = services.message_post(room=room, author=kim, text="When is the test?")
    services.message_update(room=room, message=answered, changes={"answered": True})
    services.message_post(room=room, author=owner.obj, text="Good question: what do you think?")
    rude, _ = services.message_post(room=room, author=lee, text="this is boring")
    services.report_create(room=room, reporter=kim, message=rude, reason="Not nice")
    gone, _ = services.message_post(room=room, author=lee, text="oops, wrong room")
    services.message_delete(room=room, message=gone, deleted_by=owner.obj)
    services.message_post(room=room, author=lee, text="It needs a cell to copy itself.")
    services.room_update(room=room, changes={"review": True})
    services.message_post(room=room, author=kim, text="Held until the teacher looks")
    return room


def open_every_tool(page: Page) -> None:
    while page.locator("details.tool:not([open])").count():
        page.locator("details.tool:not([open]) > summary").first.click()


def test_the_home_sign_up_sign_in_password_reset_and_missing_room_pages(open_page):
    page = open_page("/")
    found = violations_in_every_look(page)
    for path in ("/accounts/signup/", "/accounts/login/", "/accounts/password/reset/", "/no-such-room/"):
        page.goto(path)
        found += violations_in_every_look(page)

    assert not found, "\n".join(found)


def test_a_students_room_joining_a_held_post_paused_muted_closed_and_reconnecting(open_page, server, owner, busy_room):
    page = open_page("/biology/")
    expect(page.get_by_test_id("join-form")).to_be_visible()
    expect_live(page)
    found = violations_in_every_look(page)

    join(page, "sam")
    expect(message_with(page, "It needs a cell to copy itself.")).to_be_visible()
    post(page, "Do viruses get ill?")
    expect(message_with(page, "Do viruses get ill?")).to_have_class(re.compile(r"\bheld\b"))
    found += violations_in_every_look(page)

    assert server.api("PATCH", "/api/rooms/biology", {"paused": True}, token=owner.token)[0] == 200
    expect(page.get_by_test_id("paused-notice")).to_be_visible()
    found += violations_in_every_look(page)

    services.participant_mute(room=busy_room, participant=busy_room.participants.get(nickname="sam"), muted=True)
    expect(page.get_by_test_id("muted-notice")).to_be_visible()
    found += violations_in_every_look(page)

    assert server.api("PATCH", "/api/rooms/biology", {"closed": True}, token=owner.token)[0] == 200
    expect(page.get_by_test_id("room-closed")).to_be_visible()
    found += violations_in_every_look(page)

    server.stop()
    expect(page.get_by_test_id("connection-notice")).to_be_visible()
    found += violations_in_every_look(page)

    assert not found, "\n".join(found)


def test_a_teachers_room_with_every_tool_open_a_deleted_message_and_a_report(teacher_page, busy_room):
    page = teacher_page()
    open_every_tool(page)
    page.get_by_test_id("show-deleted").check()
    expect(message_with(page, "oops, wrong room")).to_be_visible()
    expect(page.get_by_test_id("report")).to_have_count(1)
    expect(page.get_by_test_id("participant")).to_have_count(2)
    expect(page.get_by_test_id("queue-count")).to_have_text("1")
    expect(page.get_by_test_id("pinned")).to_be_visible()

    found = violations_in_every_look(page)
    assert not found, "\n".join(found)


def test_the_dashboard_new_room_account_password_transcript_missing_room_and_projector(teacher_page, busy_room):
    page = teacher_page(path="/rooms/")
    found = violations_in_every_look(page)
    for path in ("/rooms/new/", "/accounts/", "/accounts/password/", "/biology/transcript/", "/no-such-room/"):
        page.goto(path)
        found += violations_in_every_look(page)
    page.goto("/biology/projector/")
    expect_live(page)
    expect(page.get_by_test_id("message-text").last).to_have_text("It needs a cell to copy itself.")
    found += violations_in_every_look(page)

    assert not found, "\n".join(found)


def test_a_private_rooms_password_form_with_an_error(open_page, room):
    services.room_update(room=room, changes={"password": "open sesame"})
    page = open_page("/biology/")
    page.get_by_test_id("unlock-nickname").fill("sam")
    page.get_by_test_id("unlock-password").fill("wrong guess")
    page.get_by_test_id("unlock").click()
    expect(page.get_by_test_id("unlock-error")).to_be_visible()

    found = violations_in_every_look(page)

    assert not found, "\n".join(found)

"""The teacher's tools in a real Chromium against a real Daphne, and what participants see of them.

Changes made from outside the pages go through the server's HTTP API, as
another client's would: only the server process can reach the open sockets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from rooms import services
from rooms.models import Room
from tests.browser.people import expect_live, join, message_with, participant_page, post, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOM_API = "/api/rooms/biology"
TEACHER_TOOLS = "/static/rooms/moderator.js"


def recording_paths(into: list[str]) -> Callable[[Page], None]:
    """A `prepare` for open_page that notes the path of every request the page makes."""
    return lambda page: page.on("request", lambda request: into.append(urlsplit(request.url).path))


def test_only_a_teachers_page_downloads_the_teacher_tools(open_page, teacher_page, room):
    visitor_paths, alice_paths, teacher_paths = [], [], []
    visitor = open_page("/biology/", prepare=recording_paths(visitor_paths))
    alice = open_page("/biology/", prepare=recording_paths(alice_paths))
    join(alice, "alice")
    expect_live(alice)
    expect_live(visitor)
    teacher = teacher_page(prepare=recording_paths(teacher_paths))
    # The tools run: they list who joined and follow the room's news.
    expect(teacher.get_by_test_id("participant-nickname")).to_have_text(["alice"])

    post(alice, "a question")

    expect(teacher.get_by_test_id("participant-posts")).to_have_text(["1 post"])
    expect(message_with(alice, "a question")).to_have_attribute("data-state", "confirmed")
    expect(message_with(visitor, "a question")).to_have_count(1)
    assert "/static/rooms/room.js" in alice_paths
    assert TEACHER_TOOLS not in alice_paths
    assert TEACHER_TOOLS not in visitor_paths
    assert teacher_paths.count(TEACHER_TOOLS) == 1


def test_a_teacher_whose_tools_fail_to_load_can_still_talk_with_the_class(open_page, teacher_page, room):
    alice = participant_page(open_page, "alice")
    teacher = teacher_page(prepare=lambda page: page.route(f"**{TEACHER_TOOLS}", lambda route: route.abort()))

    post(teacher, "Can you all hear me?")

    expect(teacher.get_by_test_id("moderator-tools")).to_have_attribute("inert", "")
    expect(message_with(teacher, "Can you all hear me?")).to_have_attribute("data-state", "confirmed")
    expect(message_with(alice, "Can you all hear me?")).to_have_count(1)


def test_pausing_the_room_disables_a_participants_composer_until_it_resumes(open_page, teacher_page, room):
    alice = participant_page(open_page, "alice")
    teacher = teacher_page()
    composer = alice.get_by_test_id("composer-text")
    expect(composer).to_be_enabled()

    teacher.get_by_test_id("toggle-pause").click()

    expect(alice.get_by_test_id("paused-notice")).to_be_visible()
    expect(composer).to_be_disabled()
    expect(alice.get_by_test_id("send")).to_be_disabled()
    expect(teacher.get_by_test_id("toggle-pause")).to_have_text("Resume room")
    # Teachers may still speak in a paused room.
    expect(teacher.get_by_test_id("composer-text")).to_be_enabled()
    post(teacher, "Quiet please.")
    expect(message_with(alice, "Quiet please.")).to_have_count(1)

    teacher.get_by_test_id("toggle-pause").click()

    expect(alice.get_by_test_id("paused-notice")).to_be_hidden()
    expect(composer).to_be_enabled()
    post(alice, "Back again")
    expect(message_with(teacher, "Back again")).to_have_attribute("data-state", "confirmed")


def test_a_muted_participant_is_told_so_and_can_post_again_once_unmuted(open_page, teacher_page, room):
    alice = participant_page(open_page, "alice")
    teacher = teacher_page()
    row = teacher.get_by_test_id("participant").filter(has_text="alice")

    row.get_by_test_id("mute").click()

    expect(row.get_by_test_id("participant-muted")).to_be_visible()
    expect(alice.get_by_test_id("muted-notice")).to_be_visible()
    expect(alice.get_by_test_id("composer-text")).to_be_disabled()

    row.get_by_test_id("unmute").click()

    expect(alice.get_by_test_id("muted-notice")).to_be_hidden()
    expect(alice.get_by_test_id("composer-text")).to_be_enabled()
    post(alice, "I'll be nice")
    expect(message_with(teacher, "I'll be nice")).to_have_count(1)


def test_participants_are_listed_with_their_colour_and_a_newcomer_appears_when_they_post(open_page, teacher_page, room):
    alice = participant_page(open_page, "alice")
    teacher = teacher_page()
    expect(teacher.get_by_test_id("participant")).to_have_count(1)
    bob = participant_page(open_page, "bob")

    post(bob, "hi, I'm new")

    expect(teacher.get_by_test_id("participant")).to_have_count(2)
    bob_row = teacher.get_by_test_id("participant").filter(has_text="bob")
    expect(bob_row.get_by_test_id("participant-posts")).to_have_text("1 post")
    bob_color = bob_row.get_by_test_id("color-marker").get_attribute("data-color")
    alice_color = teacher.get_by_test_id("participant").filter(has_text="alice").get_by_test_id("color-marker")
    assert re.fullmatch(r"#[0-9a-f]{6}", bob_color)
    expect(alice_color).not_to_have_attribute("data-color", bob_color)
    for page in (alice, teacher):
        marker = message_with(page, "hi, I'm new").get_by_test_id("color-marker")
        expect(marker).to_have_attribute("data-color", bob_color)


def test_a_report_reaches_the_teachers_panel_live_and_deleting_the_message_resolves_it(
    open_page, teacher_page, server, room
):
    _, kim_token = services.participant_join(room=room, nickname="kim")
    teacher = teacher_page()
    alice = participant_page(open_page, "alice")
    assert server.api("POST", f"{ROOM_API}/messages", {"text": "you are all dumb"}, token=kim_token)[0] == 201
    expect(teacher.get_by_test_id("no-reports")).to_be_visible()

    reported = message_with(alice, "you are all dumb")
    reported.get_by_test_id("report-message").click()
    reported.get_by_test_id("report-reason-input").fill("That's mean")
    reported.get_by_test_id("report-send").click()

    expect(reported.get_by_test_id("reported")).to_be_visible()
    report = teacher.get_by_test_id("report")
    expect(report).to_have_count(1)
    expect(teacher.get_by_test_id("report-count")).to_have_text("1")
    expect(report.get_by_test_id("report-message-text")).to_have_text("you are all dumb")
    expect(report.get_by_test_id("report-reason")).to_have_text("That's mean")
    expect(report.get_by_test_id("report-reporter")).to_have_text("alice")

    report.get_by_test_id("resolve-delete").click()

    expect(teacher.get_by_test_id("report")).to_have_count(0)
    expect(teacher.get_by_test_id("report-count")).to_have_text("0")
    for page in (alice, teacher):
        expect(message_with(page, "you are all dumb")).to_have_count(0)


def test_a_dismissed_report_leaves_the_message_alone(open_page, teacher_page, server, room):
    kim, _ = services.participant_join(room=room, nickname="kim")
    message, _ = services.message_post(room=room, author=kim, text="the test is hard")
    alice, _ = services.participant_join(room=room, nickname="alice")
    services.report_create(room=room, reporter=alice, message=message)
    teacher = teacher_page()

    teacher.get_by_test_id("report").get_by_test_id("resolve-dismiss").click()

    expect(teacher.get_by_test_id("report")).to_have_count(0)
    expect(message_with(teacher, "the test is hard")).to_have_count(1)


def test_participants_report_only_other_peoples_messages(open_page, server, room):
    _, kim_token = services.participant_join(room=room, nickname="kim")
    alice = participant_page(open_page, "alice")
    assert server.api("POST", f"{ROOM_API}/messages", {"text": "from kim"}, token=kim_token)[0] == 201
    post(alice, "from alice")

    expect(message_with(alice, "from alice")).to_have_attribute("data-state", "confirmed")
    expect(message_with(alice, "from alice").get_by_test_id("report-message")).to_be_hidden()
    expect(message_with(alice, "from kim").get_by_test_id("report-message")).to_have_count(1)
    expect(message_with(alice, "from kim").get_by_test_id("delete-message")).to_have_count(0)


def test_closing_the_room_stops_posting_and_reopening_allows_it_again(open_page, teacher_page, room):
    alice = participant_page(open_page, "alice")
    teacher = teacher_page()

    teacher.get_by_test_id("toggle-closed").click()

    expect(alice.get_by_test_id("room-closed")).to_have_text("This room is closed. You can still read it.")
    expect(alice.get_by_test_id("composer-text")).to_be_disabled()
    expect(teacher.get_by_test_id("composer-text")).to_be_disabled()
    expect(teacher.get_by_test_id("room-status")).to_contain_text("Closed")

    teacher.get_by_test_id("toggle-closed").click()

    expect(alice.get_by_test_id("room-closed")).to_be_hidden()
    expect(alice.get_by_test_id("composer-text")).to_be_enabled()


def test_a_closed_room_offers_no_join_form(open_page, server, owner, room):
    assert server.api("PATCH", ROOM_API, {"closed": True}, token=owner.token)[0] == 200

    stranger = open_page("/biology/")

    expect(stranger.get_by_test_id("room-closed")).to_be_visible()
    expect(stranger.get_by_test_id("join-form")).to_be_hidden()


def test_a_new_topic_shows_live_in_every_page(open_page, teacher_page, room):
    alice = participant_page(open_page, "alice")
    teacher = teacher_page()

    teacher.get_by_test_id("topic-input").fill("Mitosis <and> meiosis")
    teacher.get_by_test_id("topic-form").get_by_role("button", name="Save").click()

    for page in (alice, teacher):
        expect(page.get_by_test_id("room-topic")).to_have_text("Mitosis <and> meiosis")


def test_slow_mode_tells_a_participant_how_long_to_wait(open_page, teacher_page, room):
    alice = participant_page(open_page, "alice")
    teacher = teacher_page()

    teacher.get_by_test_id("slow-mode-input").fill("60")
    teacher.get_by_test_id("slow-mode-form").get_by_role("button", name="Save").click()

    expect(alice.get_by_test_id("slow-mode-hint")).to_have_text("Slow mode: one message every 60 s · ")
    post(alice, "first")
    expect(message_with(alice, "first")).to_have_attribute("data-state", "confirmed")
    alice.get_by_test_id("composer-text").fill("second")
    expect(alice.get_by_test_id("slow-mode-wait")).to_have_text(re.compile(r"^Wait (60|59|58) s$"))
    expect(alice.get_by_test_id("send")).to_be_disabled()


def test_teachers_can_see_deleted_messages_as_evidence_and_participants_never(
    open_page, teacher_page, server, owner, room
):
    kim, kim_token = services.participant_join(room=room, nickname="kim")
    old, _ = services.message_post(room=room, author=kim, text="deleted before")
    services.message_delete(room=room, message=old, deleted_by=owner.obj)
    services.message_post(room=room, author=kim, text="still here")
    teacher = teacher_page()
    alice = participant_page(open_page, "alice")
    expect(texts(teacher)).to_have_text(["still here"])

    teacher.get_by_test_id("show-deleted").check()

    evidence = message_with(teacher, "deleted before")
    expect(evidence).to_have_attribute("data-state", "deleted")
    expect(evidence.get_by_test_id("deleted-note")).to_have_text("Deleted by owner@school.example")
    expect(texts(teacher)).to_have_text(["deleted before", "still here"])

    status, _ = server.api("POST", f"{ROOM_API}/messages", {"text": "deleted live"}, token=kim_token)
    assert status == 201
    message_with(teacher, "deleted live").get_by_test_id("delete-message").click()

    expect(message_with(teacher, "deleted live")).to_have_attribute("data-state", "deleted")
    expect(message_with(alice, "deleted live")).to_have_count(0)
    expect(texts(alice)).to_have_text(["still here"])

    teacher.get_by_test_id("show-deleted").uncheck()

    expect(texts(teacher)).to_have_text(["still here"])


def test_the_owner_invites_a_co_moderator_who_accepts_and_gets_the_tools(teacher_page, server, other_teacher, room):
    owner = teacher_page()
    owner.get_by_test_id("moderators-panel").locator("summary").click()

    owner.get_by_test_id("moderator-email").fill("colleague@school.example")
    owner.get_by_test_id("moderator-form").get_by_role("button", name="Invite").click()

    expect(owner.get_by_test_id("moderator-invited")).to_have_text("Invitation sent to colleague@school.example.")
    expect(owner.get_by_test_id("invitation").get_by_test_id("moderator-email-text")).to_have_text(
        "colleague@school.example"
    )
    # The email's link goes to their rooms page, where they accept.
    colleague = teacher_page("colleague@school.example", server.emailed_link("colleague@school.example", "/rooms/"))
    colleague.get_by_test_id("invitation").get_by_test_id("accept-invitation").click()
    expect(colleague).to_have_url(re.compile(r"/biology/$"))
    expect(colleague.get_by_test_id("my-role")).to_have_text("moderator")
    expect(colleague.get_by_test_id("toggle-pause")).to_be_visible()
    expect(colleague.get_by_test_id("moderators-panel")).to_have_count(0)
    expect(colleague.get_by_test_id("delete-room")).to_have_count(0)
    owner.reload()
    owner.get_by_test_id("moderators-panel").locator("summary").click()
    expect(owner.get_by_test_id("moderator-email-text")).to_have_text(["colleague@school.example"])

    owner.get_by_test_id("moderator").get_by_test_id("remove-moderator").click()

    expect(owner.get_by_test_id("moderator")).to_have_count(0)


def test_inviting_an_address_without_an_account_looks_the_same_and_can_be_cancelled(teacher_page, server, room):
    owner = teacher_page()
    owner.get_by_test_id("moderators-panel").locator("summary").click()

    owner.get_by_test_id("moderator-email").fill("nobody@school.example")
    owner.get_by_test_id("moderator-form").get_by_role("button", name="Invite").click()

    expect(owner.get_by_test_id("moderator-invited")).to_have_text("Invitation sent to nobody@school.example.")
    assert server.emailed_link("nobody@school.example", "/accounts/signup/")
    owner.get_by_test_id("invitation").get_by_test_id("cancel-invitation").click()
    expect(owner.get_by_test_id("invitation")).to_have_count(0)


def test_a_private_room_asks_for_its_password_before_showing_anything(open_page, server, owner, room):
    services.message_post(room=room, author=owner.obj, text="for the class only")
    assert server.api("PATCH", ROOM_API, {"password": "open sesame"}, token=owner.token)[0] == 200

    stranger = open_page("/biology/")

    expect(stranger.get_by_test_id("unlock-form")).to_be_visible()
    expect(stranger.get_by_test_id("join-form")).to_be_hidden()
    expect(stranger.get_by_test_id("room-topic")).to_be_hidden()
    stranger.get_by_test_id("unlock-nickname").fill("sam")
    stranger.get_by_test_id("unlock-password").fill("wrong guess")
    stranger.get_by_test_id("unlock").click()
    expect(stranger.get_by_test_id("unlock-error")).to_have_text("That is not the room's password.")
    expect(texts(stranger)).to_have_count(0)

    stranger.get_by_test_id("unlock-password").fill("open sesame")
    stranger.get_by_test_id("unlock").click()

    expect(stranger.get_by_test_id("composer")).to_be_visible()
    expect(stranger.get_by_test_id("my-nickname")).to_have_text("sam")
    expect(stranger.get_by_test_id("room-topic")).to_have_text("Cells")
    expect(texts(stranger)).to_have_text(["for the class only"])
    expect_live(stranger)


def test_a_new_password_sends_participants_back_to_the_password_prompt(open_page, server, owner, room):
    alice = participant_page(open_page, "alice")
    post(alice, "before the password")
    expect(message_with(alice, "before the password")).to_have_attribute("data-state", "confirmed")

    assert server.api("PATCH", ROOM_API, {"password": "open sesame"}, token=owner.token)[0] == 200

    expect(alice.get_by_test_id("unlock-form")).to_be_visible()
    expect(alice.get_by_test_id("composer")).to_be_hidden()
    expect(texts(alice)).to_have_count(0)
    expect(alice.get_by_test_id("unlock-nickname")).to_have_value("alice")
    alice.get_by_test_id("unlock-password").fill("open sesame")
    alice.get_by_test_id("unlock").click()
    expect(alice.get_by_test_id("composer")).to_be_visible()
    expect_live(alice)
    expect(texts(alice)).to_have_text(["before the password"])
    post(alice, "I'm back")
    expect(message_with(alice, "I'm back")).to_have_attribute("data-state", "confirmed")


def test_deleting_the_room_tells_everyone_in_it_and_takes_its_messages_off_their_screens(open_page, teacher_page, room):
    services.message_post(room=room, author=room.owner, text="said before")
    alice = participant_page(open_page, "alice")
    projector = open_page("/biology/projector/")
    expect_live(projector)
    expect(texts(projector)).to_have_text(["said before"])
    owner = teacher_page()
    owner.get_by_test_id("danger-panel").locator("summary").click()
    owner.once("dialog", lambda dialog: dialog.accept())

    owner.get_by_test_id("delete-room").click()

    expect(owner).to_have_url(re.compile(r"/rooms/$"))
    expect(alice.get_by_test_id("room-deleted")).to_have_text("This room was deleted.")
    expect(alice.get_by_test_id("composer")).to_be_hidden()
    expect(alice.get_by_test_id("connection-notice")).to_be_hidden()
    expect(texts(alice)).to_have_count(0)
    expect(projector.get_by_test_id("projector-ended")).to_have_text("This room was deleted.")
    expect(texts(projector)).to_have_count(0)


def test_declining_the_confirmation_keeps_the_room(teacher_page, room):
    owner = teacher_page()
    owner.get_by_test_id("danger-panel").locator("summary").click()
    owner.once("dialog", lambda dialog: dialog.dismiss())

    owner.get_by_test_id("delete-room").click()

    expect(owner.get_by_test_id("delete-room")).to_be_enabled()
    assert Room.objects.filter(name="biology").exists()

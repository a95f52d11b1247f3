"""The classroom on a teacher's phone and a desktop: tabs, undo, slow mode, the outbox, the new-messages pill.

Every test runs at both sizes. Changes made from outside the pages go
through the server's HTTP API, as another client's would.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rooms import services
from rooms.models import Message
from tests.browser.people import expect_live, join, message_with, participant_page, post, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOM_API = "/api/rooms/biology"
MESSAGES_API = "**/api/rooms/biology/messages"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request) -> dict[str, int]:
    return request.param


@pytest.fixture
def sized(viewport):
    """A `prepare` for open_page and teacher_page: the page at this test's size."""
    return lambda page: page.set_viewport_size(viewport)


@pytest.fixture
def teacher(teacher_page, sized, room) -> Page:
    return teacher_page(prepare=sized)


@pytest.fixture
def alice(open_page, sized, room) -> Page:
    page = open_page("/biology/", prepare=sized)
    join(page, "alice")
    expect_live(page)
    return page


def height_of(page: Page, test_id: str) -> float:
    return page.get_by_test_id(test_id).bounding_box()["height"]


# --- 1. The teacher's phone -------------------------------------------------------------


def test_on_a_phone_the_chat_takes_the_screen_and_the_tools_are_a_tab_away(teacher, viewport):
    tools = teacher.get_by_test_id("moderator-tools")
    if viewport is DESKTOP:
        expect(teacher.get_by_test_id("room-tabs")).to_be_hidden()
        expect(tools).to_be_visible()
        expect(teacher.get_by_test_id("scroller")).to_be_visible()
        return
    expect(tools).to_be_hidden()
    # The conversation, not a split screen: most of the height is the chat.
    assert teacher.locator("#chat").bounding_box()["height"] > 0.7 * PHONE["height"]
    assert height_of(teacher, "scroller") > 0.35 * PHONE["height"]

    teacher.get_by_test_id("tab-tools").click()

    expect(tools).to_be_visible()
    expect(teacher.get_by_test_id("scroller")).to_be_hidden()
    expect(teacher.get_by_test_id("tab-tools")).to_have_attribute("aria-selected", "true")
    expect(teacher.get_by_test_id("toggle-pause")).to_be_visible()

    teacher.get_by_test_id("tab-chat").click()

    expect(tools).to_be_hidden()
    expect(teacher.get_by_test_id("scroller")).to_be_visible()


def test_a_teacher_deletes_and_mutes_from_the_message_itself(teacher, alice):
    post(alice, "something rude")
    rude = message_with(teacher, "something rude")
    expect(rude).to_have_attribute("data-state", "confirmed")
    expect(rude.get_by_test_id("delete-message")).to_be_in_viewport()

    rude.get_by_test_id("delete-message").click()

    expect(message_with(alice, "something rude")).to_have_count(0)
    expect(rude).to_have_count(0)
    post(alice, "more rudeness")
    more = message_with(teacher, "more rudeness")

    more.get_by_test_id("mute-author").click()

    expect(alice.get_by_test_id("muted-notice")).to_be_visible()
    expect(alice.get_by_test_id("composer-text")).to_be_disabled()
    expect(more.get_by_test_id("mute-author")).to_have_text("Muted")


def test_reports_waiting_are_counted_on_the_tools_tab(teacher, alice, room, viewport):
    kim, _ = services.participant_join(room=room, nickname="kim")
    services.message_post(room=room, author=kim, text="mean words")
    reported = message_with(alice, "mean words")
    reported.get_by_test_id("report-message").click()
    reported.get_by_test_id("report-send").click()

    expect(teacher.get_by_test_id("tools-alert")).to_have_text("1")
    if viewport is PHONE:
        teacher.get_by_test_id("tab-tools").click()
    expect(teacher.get_by_test_id("report")).to_have_count(1)


# --- 2. Undo a delete ----------------------------------------------------------------------


def test_undo_brings_a_deleted_message_back_in_its_place_for_everyone(teacher, alice, open_page, sized):
    visitor = open_page("/biology/", prepare=sized)
    projector = open_page("/biology/projector/", prepare=sized)
    expect_live(visitor)
    expect_live(projector)
    for text in ("one", "two", "three"):
        post(alice, text)
        expect(message_with(alice, text)).to_have_attribute("data-state", "confirmed")
    expect(texts(teacher)).to_have_text(["one", "two", "three"])

    message_with(teacher, "two").get_by_test_id("delete-message").click()

    for page in (teacher, alice, visitor, projector):
        expect(texts(page)).to_have_text(["one", "three"])
    undo = teacher.get_by_test_id("undo-delete")
    expect(undo).to_be_visible()
    expect(undo).to_be_in_viewport()

    undo.click()

    for page in (teacher, alice, visitor, projector):
        expect(texts(page)).to_have_text(["one", "two", "three"])
    expect(teacher.get_by_test_id("undo-delete-bar")).to_be_hidden()
    assert not Message.objects.get(text="two").is_deleted


def test_undo_is_offered_for_ten_seconds(teacher_page, open_page, sized, room):
    services.message_post(room=room, author=room.owner, text="a slip")

    def sized_with_a_clock(page):
        sized(page)
        page.clock.install()

    teacher = teacher_page(prepare=sized_with_a_clock)
    message_with(teacher, "a slip").get_by_test_id("delete-message").click()
    expect(teacher.get_by_test_id("undo-delete-bar")).to_be_visible()

    teacher.clock.fast_forward(9_000)
    expect(teacher.get_by_test_id("undo-delete-bar")).to_be_visible()
    teacher.clock.fast_forward(1_500)

    expect(teacher.get_by_test_id("undo-delete-bar")).to_be_hidden()


def test_a_deleted_message_can_be_restored_from_the_evidence_view_at_any_time(teacher, alice, room, owner, viewport):
    kim, _ = services.participant_join(room=room, nickname="kim")
    old, _ = services.message_post(room=room, author=kim, text="deleted long ago")
    services.message_delete(room=room, message=old, deleted_by=owner.obj)
    if viewport is PHONE:
        teacher.get_by_test_id("tab-tools").click()
    teacher.get_by_test_id("show-deleted").check()
    if viewport is PHONE:
        teacher.get_by_test_id("tab-chat").click()
    evidence = message_with(teacher, "deleted long ago")
    expect(evidence).to_have_attribute("data-state", "deleted")

    evidence.get_by_test_id("restore-message").click()

    expect(evidence).to_have_attribute("data-state", "confirmed")
    expect(texts(alice)).to_have_text(["deleted long ago"])


# --- 3. Slow mode -----------------------------------------------------------------------------


def test_slow_mode_forgives_earlier_posts_counts_down_and_holds_send(teacher, alice, server, owner):
    post(alice, "before slow mode")
    expect(message_with(alice, "before slow mode")).to_have_attribute("data-state", "confirmed")
    assert server.api("PATCH", ROOM_API, {"slow_mode_seconds": 3}, token=owner.token)[0] == 200
    expect(alice.get_by_test_id("slow-mode-hint")).to_have_text("Slow mode: one message every 3 s · ")
    send = alice.get_by_test_id("send")

    # The post from before it was switched on doesn't count.
    post(alice, "first")

    expect(message_with(alice, "first")).to_have_attribute("data-state", "confirmed")
    wait = alice.get_by_test_id("slow-mode-wait")
    expect(wait).to_have_text(re.compile(r"^Wait [123] s$"))
    alice.get_by_test_id("composer-text").fill("second")
    expect(send).to_be_disabled()
    alice.get_by_test_id("composer-text").press("Enter")
    expect(alice.get_by_test_id("composer-text")).to_have_value("second")

    expect(send).to_be_enabled()
    expect(wait).to_be_hidden()
    send.click()
    expect(message_with(alice, "second")).to_have_attribute("data-state", "confirmed")
    expect(alice.get_by_test_id("message-error")).to_have_count(0)


def test_a_refusal_the_page_did_not_see_coming_starts_the_countdown(alice, room, server, owner):
    assert server.api("PATCH", ROOM_API, {"slow_mode_seconds": 60}, token=owner.token)[0] == 200
    expect(alice.get_by_test_id("slow-mode-hint")).to_contain_text("every 60 s")
    post(alice, "first")
    expect(message_with(alice, "first")).to_have_attribute("data-state", "confirmed")
    # A reload forgets the page's own count: the server's 429 says how long.
    alice.reload()
    expect_live(alice)

    post(alice, "second")

    error = message_with(alice, "second").get_by_test_id("message-error")
    expect(error).to_have_text(re.compile(r"^Slow mode is on: wait \d+ s before posting again\.$"))
    expect(alice.get_by_test_id("slow-mode-wait")).to_have_text(re.compile(r"^Wait (60|59|58|57) s$"))
    expect(alice.get_by_test_id("send")).to_be_disabled()


# --- 4. The outbox ------------------------------------------------------------------------------


def test_an_unsent_post_waits_by_the_composer_and_goes_by_itself_after_a_reconnect(alice, open_page, sized, room):
    bob = participant_page(open_page, "bob")
    sent = []

    def unreachable(route):
        sent.append(route.request.post_data_json)
        route.abort()

    alice.route(MESSAGES_API, unreachable)
    post(alice, "lost in the corridor")
    unsent = alice.get_by_test_id("outbox").get_by_test_id("message")
    expect(unsent).to_have_attribute("data-state", "failed")
    expect(unsent.get_by_test_id("message-text")).to_have_text("lost in the corridor")
    post(bob, "newer from bob")

    # Newer messages go into the history; the unsent one stays by the composer.
    expect(texts(alice.get_by_test_id("messages"))).to_have_text(["newer from bob"])
    expect(alice.get_by_test_id("outbox").get_by_test_id("message")).to_have_count(1)

    alice.unroute(MESSAGES_API, unreachable)
    with alice.expect_request(lambda request: request.method == "POST" and "/messages" in request.url) as retry:
        alice.context.set_offline(True)
        alice.context.set_offline(False)

    assert retry.value.post_data_json["client_id"] == sent[0]["client_id"]
    expect(alice.get_by_test_id("outbox").get_by_test_id("message")).to_have_count(0)
    expect(texts(alice.get_by_test_id("messages"))).to_have_text(["newer from bob", "lost in the corridor"])
    expect(texts(bob)).to_have_text(["newer from bob", "lost in the corridor"])
    assert Message.objects.filter(text="lost in the corridor").count() == 1


# --- 5. Smaller things -----------------------------------------------------------------------------


def test_a_closed_room_offers_no_pause(teacher, viewport):
    if viewport is PHONE:
        teacher.get_by_test_id("tab-tools").click()
    expect(teacher.get_by_test_id("toggle-pause")).to_be_visible()

    teacher.get_by_test_id("toggle-closed").click()

    expect(teacher.get_by_test_id("room-status")).to_contain_text("Closed")
    expect(teacher.get_by_test_id("toggle-pause")).to_be_hidden()
    teacher.get_by_test_id("toggle-closed").click()
    expect(teacher.get_by_test_id("toggle-pause")).to_be_visible()


def test_a_saved_status_fades_away(teacher, viewport):
    if viewport is PHONE:
        teacher.get_by_test_id("tab-tools").click()
    teacher.get_by_test_id("topic-input").fill("Mitosis")
    teacher.get_by_test_id("topic-form").get_by_role("button", name="Save").click()

    saved = teacher.get_by_test_id("settings-saved")
    expect(saved).to_have_text("Topic saved.")
    expect(saved).to_have_class(re.compile(r"\bfading\b"))
    expect(saved).to_be_hidden()


def test_teachers_messages_have_no_report_button(alice, room):
    services.message_post(room=room, author=room.owner, text="homework is on page 4")
    kim, _ = services.participant_join(room=room, nickname="kim")
    services.message_post(room=room, author=kim, text="from kim")
    alice.reload()
    expect_live(alice)

    expect(message_with(alice, "homework is on page 4").get_by_test_id("report-message")).to_have_count(0)
    expect(message_with(alice, "from kim").get_by_test_id("report-message")).to_have_count(1)


def test_reported_messages_are_marked_in_the_teachers_chat(teacher, alice, room):
    kim, _ = services.participant_join(room=room, nickname="kim")
    services.message_post(room=room, author=kim, text="mean words")
    services.message_post(room=room, author=kim, text="kind words")
    reported = message_with(alice, "mean words")
    reported.get_by_test_id("report-message").click()
    reported.get_by_test_id("report-send").click()

    expect(message_with(teacher, "mean words").get_by_test_id("reported-badge")).to_have_text("Reported")
    expect(message_with(teacher, "kind words").get_by_test_id("reported-badge")).to_have_count(0)
    expect(message_with(alice, "mean words").get_by_test_id("reported-badge")).to_have_count(0)


def test_a_reader_who_scrolled_up_stays_put_and_gets_a_new_messages_pill(open_page, sized, room, server, owner):
    for n in range(40):
        services.message_post(room=room, author=owner.obj, text=f"earlier {n}")
    reader = open_page("/biology/", prepare=sized)
    expect_live(reader)
    expect(message_with(reader, "earlier 39")).to_be_in_viewport()
    reader.get_by_test_id("scroller").evaluate("node => { node.scrollTop = 0; }")
    expect(message_with(reader, "earlier 0")).to_be_in_viewport()

    for n in range(2):
        assert server.api("POST", f"{ROOM_API}/messages", {"text": f"new {n}"}, token=owner.token)[0] == 201

    pill = reader.get_by_test_id("new-messages")
    expect(pill).to_have_text("2 new messages")
    expect(message_with(reader, "earlier 0")).to_be_in_viewport()
    expect(message_with(reader, "new 1")).not_to_be_in_viewport()

    pill.click()

    expect(message_with(reader, "new 1")).to_be_in_viewport()
    expect(pill).to_be_hidden()

"""Issue 14 in Chromium, at a phone's size and a desktop's: wrong addresses, taken nicknames,
the initials beside each dot, the password rules, and transcripts in the teacher's time zone."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from accounts.models import Teacher
from rooms import services
from tests.browser.people import expect_live, join, log_in, message_with, post
from tests.servers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIZES = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


def sized(viewport):
    return lambda page: page.set_viewport_size(viewport)


def in_time_zone(viewport, zone: str):
    """The page at `viewport`, its browser's clock in `zone` (Chromium's emulation of it)."""

    def prepare(page):
        page.set_viewport_size(viewport)
        page.context.new_cdp_session(page).send("Emulation.setTimezoneOverride", {"timezoneId": zone})

    return prepare


def expect_inside_the_width(page, locator, viewport) -> None:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box


@SIZES
def test_a_mistyped_room_address_offers_a_join_box_that_goes_to_the_right_room(open_page, room, viewport):
    page = open_page("/biologyy/", prepare=sized(viewport))

    expect(page.get_by_role("heading", level=1)).to_have_text("No room called “biologyy”")
    expect(page.get_by_test_id("create-missing-room")).to_have_count(0)
    box = page.get_by_test_id("join-room-form").get_by_label("Go to a room by its name")
    expect_inside_the_width(page, box, viewport)
    box.fill("Biology")
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"/biology/$"))
    expect(page.get_by_test_id("join-form")).to_be_visible()


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "browser-test-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1",
    # No TLS proxy in front of the test server.
    "SECURE_SSL_REDIRECT": "0",
}


@SIZES
@pytest.mark.parametrize("server_env", [PRODUCTION], ids=["production"])
def test_in_production_wrong_addresses_get_friendly_pages_not_a_bare_not_found(open_page, room, viewport):
    page = open_page("/biologyy/projector/", prepare=sized(viewport))
    expect(page.get_by_role("heading", level=1)).to_have_text("No room called “biologyy”")

    response = page.goto("/rooms/nowhere/at/all")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("There is no page here")
    expect_inside_the_width(page, page.get_by_test_id("join-room-form"), viewport)
    expect(page.get_by_text("Not Found", exact=True)).to_have_count(0)


@SIZES
def test_a_teacher_at_a_missing_room_can_create_it_with_the_name_filled_in(open_page, owner, viewport):
    page = open_page("/accounts/login/?next=/chemistry/", prepare=sized(viewport))
    log_in(page, "owner@school.example")

    expect(page.get_by_role("heading", level=1)).to_have_text("No room called “chemistry”")
    page.get_by_test_id("create-missing-room").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("chemistry")
    page.get_by_role("button", name="Create room").click()

    expect(page).to_have_url(re.compile(r"/chemistry/$"))
    if viewport == PHONE:  # on a phone the tools are a tab away from the chat
        page.get_by_test_id("tab-tools").click()
    expect(page.get_by_test_id("moderator-tools")).to_be_visible()


@SIZES
def test_a_taken_nickname_is_refused_with_a_free_one_a_tap_away(open_page, room, viewport):
    join(open_page("/biology/"), "sam")
    page = open_page("/biology/", prepare=sized(viewport))

    page.get_by_test_id("nickname").fill("SAM")
    page.get_by_test_id("join").click()

    expect(page.get_by_test_id("join-error")).to_have_text("Nickname taken — use “SAM 2”?")
    suggestion = page.get_by_test_id("use-suggestion")
    expect(suggestion).to_have_text("Use “SAM 2”")
    expect_inside_the_width(page, suggestion, viewport)
    suggestion.click()

    expect(page.get_by_test_id("composer")).to_be_visible()
    expect(page.get_by_test_id("my-nickname")).to_have_text("SAM 2")
    expect(page.get_by_test_id("use-suggestion")).to_be_hidden()


@SIZES
def test_each_nickname_dot_carries_its_initials(open_page, room, viewport):
    alice = open_page("/biology/", prepare=sized(viewport))
    join(alice, "alice liddell")
    expect_live(alice)
    bob = open_page("/biology/")
    join(bob, "bob")

    post(bob, "hello")
    post(alice, "hi")

    expect(message_with(alice, "hello").get_by_test_id("color-marker")).to_have_text("B")
    expect(message_with(alice, "hi").get_by_test_id("color-marker")).to_have_text("AL")
    expect(alice.locator("#my-author").get_by_test_id("color-marker")).to_have_text("AL")
    colors = {
        message_with(alice, text).get_by_test_id("color-marker").get_attribute("data-color") for text in ("hello", "hi")
    }
    assert len(colors) == 2


@SIZES
def test_the_sign_up_form_shows_the_password_rules_before_any_error(open_page, viewport):
    page = open_page("/accounts/signup/", prepare=sized(viewport))

    rules = page.get_by_test_id("password-rules")
    expect(rules).to_be_visible()
    expect(rules).to_contain_text("at least 8 characters")
    expect(page.get_by_label("Password")).to_have_accessible_description(re.compile("at least 8 characters"))
    expect(page.get_by_test_id("form-error")).to_have_count(0)


@SIZES
def test_the_transcript_is_in_the_time_zone_of_the_teachers_browser(open_page, owner, room, viewport):
    message, _ = services.message_post(room=room, author=owner.obj, text="Chapter 4 for Monday")
    page = open_page("/accounts/login/?next=/biology/", prepare=in_time_zone(viewport, "America/Chicago"))
    log_in(page, "owner@school.example")
    expect_live(page)

    # The page tells the account its browser's zone; the transcript then uses it.
    wait_until(
        lambda: Teacher.objects.get(pk=owner.obj.pk).time_zone == "America/Chicago",
        timeout=10,
        message="the room page never sent the browser's time zone",
    )
    page.goto("/biology/transcript/")

    expect(page.get_by_text("times in America/Chicago")).to_be_visible()
    chicago = message.created_at.astimezone(ZoneInfo("America/Chicago"))
    expect(page.get_by_test_id("transcript-message").locator("time")).to_have_text(chicago.strftime("%H:%M"))

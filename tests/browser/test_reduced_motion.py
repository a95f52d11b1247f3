"""prefers-reduced-motion: the projector and the room page move nothing for those who asked for less."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from rooms import services
from tests.browser.accessibility import SIZES
from tests.browser.people import expect_live, message_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOM_API = "/api/rooms/biology"
# What the reduce rule leaves of any animation or transition: 0.01ms, not 0,
# so that animationend and transitionend still fire.
REDUCED_SECONDS = 0.00001

# Every element's motion, as the browser computed it: the longest animation or
# transition anywhere on the page, and any element that scrolls smoothly.
MOTION = """() => {
  const seconds = (value) =>
    Math.max(...value.split(",").map((part) => parseFloat(part) * (part.trim().endsWith("ms") ? 0.001 : 1)));
  let longest = 0;
  const smooth = [];
  for (const element of document.querySelectorAll("*")) {
    const style = getComputedStyle(element);
    if (style.animationName !== "none") longest = Math.max(longest, seconds(style.animationDuration));
    longest = Math.max(longest, seconds(style.transitionDuration));
    if (style.scrollBehavior === "smooth") smooth.push(element.id || element.tagName);
  }
  return { longest, smooth };
}"""


def motion(page: Page) -> dict:
    return page.evaluate(MOTION)


def test_the_projector_animates_arrivals_unless_reduced_motion_is_asked_for(open_page, server, room):
    _, kim_token = services.participant_join(room=room, nickname="kim")
    services.message_post(room=room, author=room.owner, text="Welcome")
    moving = open_page("/biology/projector/", reduced_motion="no-preference")
    still = open_page("/biology/projector/", reduced_motion="reduce")
    for page in (moving, still):
        expect_live(page)

    assert server.api("POST", f"{ROOM_API}/messages", {"text": "Is a virus alive?"}, token=kim_token)[0] == 201

    for page in (moving, still):
        expect(message_with(page, "Is a virus alive?")).to_be_in_viewport()
    assert motion(moving)["smooth"] == ["scroller"]
    assert motion(moving)["longest"] > 0.1
    # The reduce rule leaves 0.01ms, so that animationend and transitionend still fire.
    assert motion(still)["longest"] <= REDUCED_SECONDS
    assert motion(still)["smooth"] == []


@pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))
def test_the_room_page_moves_nothing_under_reduced_motion(teacher_page, room, size):
    services.message_post(room=room, author=room.owner, text="Welcome")
    page = teacher_page(reduced_motion="reduce", viewport=size)
    expect(message_with(page, "Welcome")).to_be_visible()

    found = motion(page)

    assert found["longest"] <= REDUCED_SECONDS
    assert found["smooth"] == []

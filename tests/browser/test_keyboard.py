"""The room page by keyboard alone: every stop of the Tab order shows a focus ring and is in sight.

WCAG 2.4.7 (focus visible) and 2.4.11 (focus not obscured): at each stop the
focused element has an outline, and the element drawn at its centre is itself
(or something inside it), not a bar or a panel lying over it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from rooms import services
from tests.browser.accessibility import SIZES
from tests.browser.people import expect_live, message_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# More stops than the busiest page has: a Tab order longer than this loops.
MOST_TAB_STOPS = 250

FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  // A link that wraps has a box per line, and the middle of their union may be
  // the text between them: each line's own centre is tried.
  const hits = [...element.getClientRects()].map((box) =>
    document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2));
  const label = element.dataset.testid || element.id || element.textContent.trim().slice(0, 30);
  const over = hits.find((hit) => hit && hit !== element && !element.contains(hit));
  // Many stops share a name (a button on every message): the loop is found by identity.
  const again = element === window.firstTabStop;
  window.firstTabStop ??= element;
  return {
    again,
    name: `${element.tagName.toLowerCase()} ${label}`,
    ring: element.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    inSight: hits.some((hit) => hit && (hit === element || element.contains(hit))),
    coveredBy: over ? over.outerHTML.slice(0, 80) : "nothing: off screen",
  };
}"""


def tab_through(page: Page) -> list[dict]:
    """Press Tab until focus comes back round to where it started; each stop as FOCUSED describes it."""
    page.evaluate("delete window.firstTabStop")
    stops: list[dict] = []
    for _ in range(MOST_TAB_STOPS):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop is None or stop["again"]:
            return stops
        stops.append(stop)
    raise AssertionError(f"Tab never came back round in {MOST_TAB_STOPS} presses: {[s['name'] for s in stops]}")


def tab_to(page: Page, test_id: str, *, within: str | None = None) -> None:
    """Press Tab until the focused element has `test_id` (inside the message saying `within`, if given)."""
    for _ in range(MOST_TAB_STOPS):
        page.keyboard.press("Tab")
        if page.evaluate(
            """([testId, within]) => {
              const element = document.activeElement;
              if (element?.dataset.testid !== testId) return false;
              return within === null || element.closest("[data-testid=message]")?.textContent.includes(within);
            }""",
            [test_id, within],
        ):
            return
    raise AssertionError(f"Tab never reached {test_id}")


def problems(stops: list[dict]) -> list[str]:
    found = []
    for stop in stops:
        if not stop["ring"]:
            found.append(f"{stop['name']}: no visible focus ring")
        if not stop["inSight"]:
            found.append(f"{stop['name']}: hidden, under {stop['coveredBy']}")
    return found


def walk_at_every_size(page: Page) -> tuple[list[str], list[str]]:
    """Tab through the page at phone and desktop sizes: the names of the stops, and every problem found."""
    names: list[str] = []
    found: list[str] = []
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        stops = tab_through(page)
        names += [stop["name"] for stop in stops]
        found += [f"{size_name}: {problem}" for problem in problems(stops)]
    return names, found


@pytest.fixture
def chatty_room(room, owner):
    """Enough messages from others that the log scrolls, with one from the teacher."""
    kim, _ = services.participant_join(room=room, nickname="kim")
    for number in range(1, 16):
        services.message_post(room=room, author=kim, text=f"thought number {number}")
    services.message_post(room=room, author=owner.obj, text="Keep them coming")
    return room


def test_a_student_joins_posts_and_reaches_everything_by_keyboard_with_focus_always_in_sight(open_page, chatty_room):
    page = open_page("/biology/")
    expect_live(page)
    tab_to(page, "nickname")
    page.keyboard.type("sam")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("composer-text")).to_be_focused()
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")
    expect(message_with(page, "typed without a mouse")).to_be_visible()

    names, found = walk_at_every_size(page)

    assert not found, "\n".join(found)
    for expected in ("a room-url", "button order-top", "textarea composer-text"):
        assert expected in names, names
    assert any(name.startswith("button report") for name in names)


def test_a_teacher_reaches_every_tool_deletes_and_mutes_by_keyboard_with_focus_in_sight(teacher_page, chatty_room):
    page = teacher_page()
    expect(message_with(page, "thought number 15")).to_be_visible()

    names, found = walk_at_every_size(page)

    assert not found, "\n".join(found)
    tab_to(page, "delete-message", within="thought number 15")
    page.keyboard.press("Enter")
    expect(message_with(page, "thought number 15")).to_have_count(0)
    tab_to(page, "mute")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("unmute")).to_be_visible()
    for expected in ("input topic-input", "button toggle-pause", "input show-deleted", "summary Delete room"):
        assert expected in names, names

"""The screenshots in docs/screenshots/, taken from a real room in a real browser.

Without UPDATE_SCREENSHOTS=1 each test only checks that its page renders, so a
test run leaves the tree clean. To take them again (after a layout change):

    UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rooms import services
from tests.browser.accessibility import DESKTOP, PHONE
from tests.browser.people import expect_live, join, message_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE = os.environ.get("UPDATE_SCREENSHOTS") == "1"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Still pictures: nothing half-way through sliding in.
STILL = {"reduced_motion": "reduce", "color_scheme": "light"}


# Who says what in the lesson, in each language a screenshot shows.
LESSONS = {
    "en": {
        "topic": "Cells and viruses",
        "posts": [
            ("owner", "Today: is a virus alive? Post what you think."),
            ("kim", "It can't grow on its own, so no?"),
            ("ana", "It has genes and it evolves. That sounds alive to me."),
            ("lee", "viruses are just tiny zombies"),
            ("lee", "What about a seed? It does nothing until it's planted."),
            ("owner", "Good comparison, lee. What does a seed have that a virus lacks?"),
        ],
        "report": "Not serious",
    },
    "es": {
        "topic": "Células y virus",
        "posts": [
            ("owner", "Hoy: ¿un virus está vivo? Escribid lo que pensáis."),
            ("kim", "No puede crecer solo, así que ¿no?"),
            ("ana", "Tiene genes y evoluciona. A mí me parece vivo."),
            ("lee", "los virus son zombis diminutos"),
            ("lee", "¿Y una semilla? No hace nada hasta que la plantas."),
            ("owner", "Buena comparación, lee. ¿Qué tiene una semilla que le falta a un virus?"),
        ],
        "report": "No es serio",
    },
}


def lesson_under_way(room, owner, language: str = "en") -> str:
    """Questions, answers and a report waiting for the teacher; the last post's text."""
    lesson = LESSONS[language]
    room.topic = lesson["topic"]
    room.save(update_fields=["topic"])
    authors = {"owner": owner.obj}
    for nickname in ("kim", "ana", "lee"):
        authors[nickname], _ = services.participant_join(room=room, nickname=nickname)
    for nickname, text in lesson["posts"]:
        message, _ = services.message_post(room=room, author=authors[nickname], text=text)
        if text == lesson["posts"][3][1]:
            services.report_create(room=room, reporter=authors["kim"], message=message, reason=lesson["report"])
    return lesson["posts"][-1][1]


def keep(page: Page, name: str) -> None:
    """Write the picture when asked to; otherwise just check that the page draws one."""
    if UPDATE:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / name)
    else:
        assert page.screenshot().startswith(PNG_SIGNATURE)


def test_the_teachers_phone_view(teacher_page, owner, room):
    last = lesson_under_way(room, owner)
    page = teacher_page(viewport=PHONE, **STILL)
    expect(message_with(page, last)).to_be_visible()
    expect(page.get_by_test_id("report")).to_have_count(1)

    keep(page, "teacher-phone.png")


def test_the_projector(open_page, owner, room):
    lesson_under_way(room, owner)
    page = open_page("/biology/projector/", viewport=DESKTOP, **STILL)
    expect_live(page)
    expect(page.get_by_test_id("message-text")).to_have_count(6)

    keep(page, "projector.png")


def test_the_room_page_in_spanish(open_page, owner, room):
    last = lesson_under_way(room, owner, "es")
    page = open_page("/biology/", locale="es-ES", viewport=DESKTOP, **STILL)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    join(page, "sam")
    expect_live(page)
    expect(page.get_by_test_id("send")).to_have_text("Enviar")
    expect(message_with(page, last)).to_be_visible()

    keep(page, "room-es.png")

"""The room in Spanish in a real Chromium: from Accept-Language, or from the footer's switch.

What the page's scripts write (placeholders, buttons, notices, dates) must be
Spanish too, and the Content-Security-Policy must block nothing (open_page
fails the test on any violation or page error).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rooms import services
from tests.browser.people import expect_live, join, message_with, post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", SIZES)
def test_a_spanish_speaking_student_reads_and_uses_the_room_in_spanish(open_page, server, room, owner, size):
    services.room_update(room=room, changes={"slow_mode_seconds": 30, "anonymous": True})
    services.message_post(room=room, author=owner.obj, text="Bienvenidos")
    classmate = services.participant_join(room=room, nickname="leo")[0]
    services.message_post(room=room, author=classmate, text="¿Hay tarea?")

    ana = open_page("/biology/", locale="es-MX", prepare=lambda page: page.set_viewport_size(SIZES[size]))

    expect(ana.locator("html")).to_have_attribute("lang", "es")
    expect(ana.get_by_text("Elige un apodo para unirte a la conversación")).to_be_visible()
    join(ana, "ana")
    expect_live(ana)
    # Written by the scripts: the composer, the hints, each message's buttons and names.
    expect(ana.get_by_test_id("composer-text")).to_have_attribute("placeholder", "Escribe un mensaje…")
    expect(ana.get_by_test_id("slow-mode-hint")).to_have_text("Modo lento: un mensaje cada 30 s · ")
    welcome = message_with(ana, "Bienvenidos")
    expect(welcome.get_by_test_id("teacher-badge")).to_have_text("docente")
    expect(welcome.get_by_test_id("upvote")).to_have_attribute("aria-label", "Votar (0)")
    # A teacher's message has no Report button; a classmate's has.
    expect(welcome.get_by_test_id("report-message")).to_have_count(0)
    expect(message_with(ana, "¿Hay tarea?").get_by_test_id("report-message")).to_have_text("Reportar")
    expect(welcome.locator("time")).to_have_attribute("title", re.compile(r"\d+ de [a-z]+ de \d{4}"))
    expect(message_with(ana, "¿Hay tarea?").get_by_test_id("message-nickname")).to_have_text("Anónimo")

    post(ana, "Sí, la página 12")
    expect(message_with(ana, "Sí, la página 12")).to_have_attribute("data-state", "confirmed")
    expect(ana.get_by_test_id("slow-mode-wait")).to_have_text(re.compile(r"^Espera \d+ s$"))
    # A reload forgets the page's own countdown: the server's refusal is shown instead.
    ana.reload()
    expect_live(ana)
    post(ana, "¿y la 13?")

    expect(message_with(ana, "¿y la 13?").get_by_test_id("post-status")).to_have_text("No enviado")
    expect(message_with(ana, "¿y la 13?").get_by_test_id("message-error")).to_contain_text(
        "El modo lento está activado: espera"
    )
    expect(message_with(ana, "¿y la 13?").get_by_test_id("retry")).to_have_text("Reintentar")

    status, _ = server.api("POST", f"/api/rooms/biology/participants/{participant_id(ana)}/mute", token=owner.token)

    assert status == 200
    expect(ana.get_by_test_id("muted-notice")).to_have_text(
        "Tu docente te silenció. Todavía puedes leer la conversación."
    )
    expect(ana.get_by_test_id("composer-text")).to_have_attribute("placeholder", "Estás silenciado/a.")


def participant_id(page) -> int:
    return int(page.locator("[data-testid=message].mine").first.get_attribute("data-participant-id"))


def test_the_footers_switch_turns_the_teachers_room_spanish_and_is_remembered(teacher_page, room):
    teacher = teacher_page()
    expect(teacher.get_by_test_id("toggle-pause")).to_have_text("Pause room")

    teacher.get_by_test_id("language-choice").select_option("es")
    teacher.get_by_test_id("language-submit").click()

    expect(teacher).to_have_url(re.compile(r"/biology/$"))
    expect(teacher.locator("html")).to_have_attribute("lang", "es")
    expect_live(teacher)
    expect(teacher.get_by_test_id("room-status")).to_contain_text(re.compile(r"^Abierta · cierra el "))
    teacher.get_by_test_id("toggle-pause").click()
    expect(teacher.get_by_test_id("settings-saved")).to_have_text("Sala en pausa.")
    expect(teacher.get_by_test_id("toggle-pause")).to_have_text("Reanudar sala")

    teacher.goto("/rooms/")

    expect(teacher.get_by_role("heading", level=1)).to_have_text("Tus salas")
    expect(teacher.get_by_test_id("language-choice")).to_have_value("es")

"""API errors in the request's language: the message is translated, the code never is."""

from __future__ import annotations

import pytest
from django.conf import settings

from rooms import services
from tests.assertions import error_of

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9,en;q=0.5"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param({}, "There is no room with that name.", id="no-accept-language"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "en-GB"}, "There is no room with that name.", id="english"),
        pytest.param(SPANISH, "No hay ninguna sala con ese nombre.", id="spanish"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "fr"}, "There is no room with that name.", id="untranslated-language"),
    ],
)
def test_an_error_speaks_the_requests_language_with_the_same_code(api, extra, message):
    response = api.get("/api/rooms/nowhere", **extra)

    assert error_of(response) == (404, "room_not_found")
    assert response.body["error"]["message"] == message


def test_a_spanish_message_carries_its_numbers(api, room):
    response = api.post("/api/rooms/biology/join", {"nickname": "x" * 40}, **SPANISH)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"] == {
        "code": "invalid",
        "message": "Un apodo tiene de 1 a 32 caracteres.",
        "field": "nickname",
    }


def test_a_spanish_message_has_the_right_plural(api, room, participant, clock):
    services.room_update(room=room, changes={"slow_mode_seconds": 1})
    api.post("/api/rooms/biology/messages", {"text": "first"}, token=participant.token)

    response = api.post("/api/rooms/biology/messages", {"text": "second"}, token=participant.token, **SPANISH)

    assert error_of(response) == (429, "slow_mode")
    assert response.body["error"]["message"] == "El modo lento está activado: un mensaje cada 1 segundo."


def test_the_language_chosen_in_the_footer_answers_the_api_too(api, room):
    """A page's scripts call the API with the page's cookies: their errors match the page."""
    api.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    response = api.post("/api/rooms/biology/messages", {"text": "hi"}, HTTP_ACCEPT_LANGUAGE="en")

    assert error_of(response) == (401, "unauthenticated")
    assert response.body["error"]["message"] == "Únete a la sala antes de escribir."


def test_djangos_own_errors_under_the_api_are_translated_too(api):
    response = api.get("/api/no/such/endpoint", **SPANISH)

    assert error_of(response) == (404, "not_found")
    assert response.body["error"]["message"] == "No se encontró."


def test_every_answer_says_it_varies_by_language(api):
    response = api.get("/api/rooms/nowhere")

    assert "Accept-Language" in response.headers["Vary"]

"""The room's pages in Spanish: the room, the projector and the streamed transcript."""

from __future__ import annotations

import re
import warnings

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import AsyncClient

from rooms import selectors, services

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9"}


def test_a_spanish_student_reads_the_room_page_in_spanish(client, room):
    content = client.get("/biology/", **SPANISH).content.decode()

    assert '<html lang="es">' in content
    assert '<label for="nickname">Elige un apodo para unirte a la conversación</label>' in content
    assert 'placeholder="Escribe un mensaje…"' in content
    assert 'aria-label="Conversación"' in content
    # The scripts' translations load before the room's script.
    scripts = re.findall(r"<script\b[^>]*>", content)
    assert scripts.index('<script src="/jsi18n/">') < scripts.index(
        '<script type="module" src="/static/rooms/room.js">'
    )


def test_the_owners_tools_are_in_spanish_too(client, owner, room):
    client.force_login(owner.obj)

    content = client.get("/biology/", **SPANISH).content.decode()

    assert '<summary>Cola de revisión <span class="count"' in content
    assert '<span class="role-badge" data-testid="my-role">propietario/a</span>' in content
    assert '<option value="mask">Tapar las palabras con asteriscos</option>' in content


def test_the_projector_in_spanish(client, room):
    content = client.get("/biology/projector/", **SPANISH).content.decode()

    assert "<title>biology · proyector · todaysmeet</title>" in content
    assert 'Únete en <strong data-testid="room-url">http://testserver/biology/</strong>' in content
    assert 'alt="Código QR de http://testserver/biology/"' in content


@pytest.fixture
def anonymous_room(room, participant, clock):
    services.room_update(room=room, changes={"anonymous": True})
    for text in ("first", "second"):
        services.message_post(room=room, author=participant.obj, text=text)
    return room


def test_the_transcript_in_spanish_names_anonymous_posters_in_spanish(client, anonymous_room):
    response = client.get("/biology/transcript/", **SPANISH)

    content = b"".join(response.streaming_content).decode()
    assert '<html lang="es">' in content
    assert '<h1 data-testid="room-name">Transcripción de biology</h1>' in content
    assert content.count('data-testid="transcript-nickname">Anónimo</td>') == 2
    assert "2 mensajes." in content
    assert 'data-testid="language-form"' in content


def test_the_transcripts_language_form_works_although_it_comes_after_the_headers(client, room):
    """The footer is rendered after the response started: the CSRF cookie it relies on was set before."""
    response = client.get("/biology/transcript/", **SPANISH)
    content = b"".join(response.streaming_content).decode()

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    assert token is not None
    assert settings.CSRF_COOKIE_NAME in response.cookies


@pytest.mark.django_db(transaction=True)
async def test_over_asgi_every_piece_of_the_transcript_is_in_the_requests_language(owner, monkeypatch):
    monkeypatch.setattr(selectors, "TRANSCRIPT_CHUNK_SIZE", 2)
    room = await sync_to_async(services.room_create)(owner=owner.obj, name="biology")
    for number in range(3):
        await sync_to_async(services.message_post)(room=room, author=owner.obj, text=f"message {number}")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = await AsyncClient().get("/biology/transcript/", headers={"Accept-Language": "es"})
        chunks = [chunk.decode() async for chunk in response]

    assert "Transcripción de biology" in chunks[0]
    assert "3 mensajes." in chunks[-1]
    assert '<label for="language-choice">Idioma</label>' in chunks[-1]

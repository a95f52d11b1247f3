"""A mistyped room address: a friendly page with a way on, in development and in production alike."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def logged_in(persona) -> Client:
    client = Client()
    client.force_login(persona.obj)
    return client


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", ["/biologyy/", "/biologyy/projector/", "/biologyy/transcript/"])
def test_a_missing_room_says_so_and_offers_a_join_box(room, path, debug):
    with override_settings(DEBUG=debug):
        response = Client().get(path)

    page = response.content.decode()
    assert response.status_code == 404
    assert "No room called “biologyy”" in page
    assert 'data-testid="join-room-form"' in page
    assert "Technical" not in page and "URLconf" not in page
    # Only teachers may make rooms.
    assert 'data-testid="create-missing-room"' not in page


def test_a_signed_in_teacher_is_offered_to_create_it_with_the_name_filled_in(owner, room):
    client = logged_in(owner)

    page = client.get("/Bio-Period-3/").content.decode()
    form = client.get("/rooms/new/?name=bio-period-3").content.decode()

    assert 'href="/rooms/new/?name=bio-period-3"' in page
    assert "Create “bio-period-3”" in page
    assert 'value="bio-period-3"' in form


@pytest.mark.parametrize("name", ["x", "new", "a b c"])
def test_a_name_no_room_could_have_is_not_offered_for_creating(owner, name):
    page = logged_in(owner).get(f"/{name}/").content.decode()

    assert 'data-testid="create-missing-room"' not in page


def test_what_was_typed_is_shown_escaped(room):
    page = Client().get("/%3Cb%3Ehi/").content.decode()

    assert "No room called “&lt;b&gt;hi”" in page
    assert "<b>hi" not in page


def test_the_missing_page_is_in_spanish_for_a_spanish_browser(room):
    page = Client(HTTP_ACCEPT_LANGUAGE="es").get("/biologyy/").content.decode()

    assert "No hay ninguna sala llamada “biologyy”" in page

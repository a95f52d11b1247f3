"""The site's language: Accept-Language, and the footer's switch that remembers a choice."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9"}


def script_catalogue(content: str) -> dict:
    """The translations /jsi18n/ hands the page scripts (none for English: the scripts' own words)."""
    found = re.search(r"const newcatalog = (\{.*?\});\n", content, re.S)
    return json.loads(found.group(1)) if found else {}


def language_form(content: str) -> str:
    [form] = re.findall(r'<form method="post" action="/i18n/setlang/".*?</form>', content, re.S)
    return form


@pytest.mark.parametrize(
    ("extra", "language", "heading"),
    [
        pytest.param({}, "en", "Join a room", id="no-accept-language"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}, "en", "Join a room", id="english"),
        pytest.param(SPANISH, "es", "Entra a una sala", id="spanish"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "de-DE,fr;q=0.8"}, "en", "Join a room", id="neither"),
    ],
)
def test_a_page_speaks_the_first_language_the_browser_asks_for_that_we_have(client, extra, language, heading):
    response = client.get("/", **extra)

    content = response.content.decode()
    assert f'<html lang="{language}">' in content
    assert f"<h1>{heading}</h1>" in content
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/accounts/signup/", "/accounts/", "/biology/", "/biology/projector/", "/rooms/"],
)
def test_every_page_ends_with_the_language_switch(client, owner, room, path):
    client.force_login(owner.obj)

    response = client.get(path, follow=True, **SPANISH)

    form = language_form(response.content.decode())
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'<input type="hidden" name="next" value="{response.request["PATH_INFO"]}">' in form
    assert '<label for="language-choice">Idioma</label>' in form
    assert '<option value="es" lang="es" selected>Español</option>' in form
    assert '<option value="en" lang="en">English</option>' in form


def test_the_switch_remembers_the_choice_over_accept_language(client, room):
    client.get("/biology/")

    switched = client.post("/i18n/setlang/", {"language": "es", "next": "/biology/"}, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/biology/", HTTP_ACCEPT_LANGUAGE="en")

    assert switched.status_code == 302
    assert switched["Location"] == "/biology/"
    cookie = switched.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "es"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert '<html lang="es">' in page.content.decode()
    assert "Elige un apodo para unirte a la conversación" in page.content.decode()


def test_switching_back_to_english(client, room):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    client.post("/i18n/setlang/", {"language": "en", "next": "/biology/"})

    assert '<html lang="en">' in client.get("/biology/", **SPANISH).content.decode()


def test_the_switch_needs_the_pages_csrf_token():
    browser = Client(enforce_csrf_checks=True)
    form = language_form(browser.get("/").content.decode())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    forged = browser.post("/i18n/setlang/", {"language": "es", "next": "/"})
    genuine = browser.post("/i18n/setlang/", {"language": "es", "next": "/", "csrfmiddlewaretoken": token})

    assert forged.status_code == 403
    assert genuine.status_code == 302
    assert genuine.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


def test_the_switch_never_sends_anyone_to_another_site(client):
    response = client.post("/i18n/setlang/", {"language": "es", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_page_scripts_catalogue_speaks_the_pages_language(client):
    spanish = script_catalogue(client.get("/jsi18n/", **SPANISH).content.decode())
    english = script_catalogue(client.get("/jsi18n/").content.decode())

    assert spanish["Write a message…"] == "Escribe un mensaje…"
    assert spanish["a password\x04Set"] == "Poner"
    # Spanish's three plural forms: one, many (a million), other.
    assert spanish["%(count)s post"] == ["%(count)s mensaje", "%(count)s mensajes", "%(count)s mensajes"]
    assert english == {}

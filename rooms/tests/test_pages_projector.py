"""/<name>/projector/: the read-only, large-type view for the classroom screen."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from rooms import services

pytestmark = pytest.mark.django_db

ROOM_CONFIG = re.compile(r'<script id="room-config" type="application/json">(.*?)</script>', re.DOTALL)


def projector_config(response) -> dict:
    match = ROOM_CONFIG.search(response.content.decode())
    assert match, "the projector embeds its config with json_script"
    return json.loads(match.group(1))


def test_anyone_can_open_the_projector_of_a_public_room_without_a_nickname(client, room):
    response = client.get("/biology/projector/")

    assert response.status_code == 200
    content = response.content.decode()
    assert '<h1 data-testid="room-name">biology</h1>' in content
    assert "Cells" in content
    assert "http://testserver/biology/" in content
    config = projector_config(response)
    assert config["locked"] is False
    assert config["room"]["name"] == "biology"


def test_the_projector_is_read_only(client, room):
    content = client.get("/biology/projector/").content.decode()

    assert "<textarea" not in content
    # The footer's language switch is the one form.
    assert re.findall(r"<form\b[^>]*>", content) == [
        '<form method="post" action="/i18n/setlang/" class="language-form" data-testid="language-form">'
    ]
    assert re.findall(r"<script\b[^>]*>", content) == [
        '<script src="/jsi18n/">',
        '<script id="room-config" type="application/json">',
        '<script type="module" src="/static/rooms/projector.js">',
    ]


def test_the_owners_projector_shows_only_what_the_class_may_see(owner, room):
    client = Client()
    client.force_login(owner.obj)

    config = projector_config(client.get("/biology/projector/"))

    assert "role" not in config["room"]
    assert "open_reports" not in config["room"]


def test_a_private_rooms_projector_shows_nothing_to_a_stranger(client, room):
    services.room_update(room=room, changes={"password": "open sesame"})

    response = client.get("/biology/projector/")

    config = projector_config(response)
    assert config["locked"] is True
    assert set(config["room"]) == {"name", "url", "is_private", "is_open"}
    content = response.content.decode()
    assert "Cells" not in content
    assert 'href="/biology/"' in content


def test_a_participant_who_knows_the_password_can_project_a_private_room(client, room):
    services.room_update(room=room, changes={"password": "open sesame"})
    answer = client.post(
        "/api/rooms/biology/join", {"nickname": "sam", "password": "open sesame"}, content_type="application/json"
    )
    assert answer.status_code == 201

    config = projector_config(client.get("/biology/projector/"))

    assert config["locked"] is False
    assert config["room"]["topic"] == "Cells"


def test_the_topic_is_escaped(client, owner):
    services.room_create(owner=owner.obj, name="xss", topic="<b>bold</b>")

    content = client.get("/xss/projector/").content.decode()

    assert "<b>bold</b>" not in content
    assert "&lt;b&gt;bold&lt;/b&gt;" in content


def test_an_unknown_room_has_no_projector(client, db):
    assert client.get("/nowhere/projector/").status_code == 404


def test_the_projector_redirects_to_the_lowercase_name(client, room):
    response = client.get("/BIOLOGY/projector/")

    assert response.status_code == 302
    assert response["Location"] == "/biology/projector/"

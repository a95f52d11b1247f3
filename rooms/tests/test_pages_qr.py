"""GET /<name>/qr.svg: a QR code of the room's URL."""

from __future__ import annotations

import pytest
import segno

from rooms import services

pytestmark = pytest.mark.django_db


def drawing(svg: str) -> str:
    """The QR code's path, whatever the surrounding markup."""
    return svg.split('class="qrline"')[1].split("/>")[0]


def test_the_qr_code_is_an_svg_of_the_rooms_url_that_may_be_cached(client, room):
    response = client.get("/biology/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"].startswith("public, max-age=")
    body = response.content.decode()
    assert body.startswith("<svg")
    # The same code segno makes of the URL, so a phone's camera opens the room.
    expected = segno.make("http://testserver/biology/", error="m").svg_inline(scale=8, border=2)
    assert drawing(body) == drawing(expected)


def test_public_url_is_what_the_code_says_when_set(client, room, settings):
    settings.PUBLIC_URL = "https://meet.example.org"

    body = client.get("/biology/qr.svg").content.decode()

    expected = segno.make("https://meet.example.org/biology/", error="m").svg_inline(scale=8, border=2)
    assert drawing(body) == drawing(expected)


def test_an_unknown_room_is_404_and_another_case_redirects(client, room):
    assert client.get("/nowhere/qr.svg").status_code == 404
    response = client.get("/Biology/qr.svg")
    assert (response.status_code, response["Location"]) == (302, "/biology/qr.svg")


def test_a_private_rooms_code_is_served_too(client, room):
    services.room_update(room=room, changes={"password": "open sesame"})

    assert client.get("/biology/qr.svg").status_code == 200

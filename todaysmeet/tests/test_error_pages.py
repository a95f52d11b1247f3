"""Error pages in production: friendly HTML for people, JSON under /api/, and a 500 page that needs nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.template import loader
from django.test import Client, override_settings
from django.urls import include, path

from todaysmeet import urls as site_urls

pytestmark = pytest.mark.django_db


def _fails(request):
    raise RuntimeError("a bug")


def _refuses(request):
    raise PermissionDenied


# The site's URLs plus two views that fail, as a bug or a refusal would.
urlpatterns = [
    path("broken/", _fails),
    path("refused/", _refuses),
    path("api/broken", _fails),
    path("", include(site_urls)),
]

production = override_settings(DEBUG=False, ROOT_URLCONF=__name__)


@production
def test_an_unknown_page_is_a_friendly_404_with_a_join_box():
    response = Client().get("/rooms/nowhere/at/all")

    page = response.content.decode()
    assert response.status_code == 404
    assert 'data-status="404"' in page
    assert "There is no page here" in page
    assert 'data-testid="join-room-form"' in page


@production
def test_a_refusal_is_a_friendly_403():
    response = Client().get("/refused/")

    assert response.status_code == 403
    assert "You can’t open this page" in response.content.decode()


@production
def test_a_bug_is_a_friendly_500():
    response = Client(raise_request_exception=False).get("/broken/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@production
def test_the_api_keeps_its_json_errors():
    client = Client(raise_request_exception=False)

    missing = client.get("/api/nowhere")
    broken = client.get("/api/broken")

    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert broken.status_code == 500 and broken.json()["error"]["code"] == "internal_error"


def test_the_500_page_renders_without_a_request_or_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        page = loader.get_template("500.html").render()

    assert "Something went wrong on our side" in page


@production
def test_a_stale_form_is_a_friendly_page_not_djangos():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"email": "a@school.example", "password": "x"})

    page = response.content.decode()
    assert response.status_code == 403
    assert "That form had expired" in page
    assert "CSRF verification failed" not in page


def test_a_stale_api_write_stays_json(room):
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "stale"

    response = client.post("/api/rooms/biology/join", {"nickname": "Sam"}, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"

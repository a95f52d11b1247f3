"""Sign-up, log-in and log-out pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts.models import Teacher

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase"


def signed_in_email(client: Client) -> str | None:
    user_id = client.session.get(SESSION_KEY)
    return Teacher.objects.get(pk=user_id).email if user_id else None


# --- Sign up -----------------------------------------------------------------


def test_the_sign_up_page_has_a_form(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert b'name="email"' in response.content
    assert b'name="password"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_a_weak_password_is_refused_and_the_email_kept(client):
    response = client.post("/accounts/signup/", {"email": "new@school.example", "password": "12345"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "This password is too short." in content
    assert 'value="new@school.example"' in content
    assert signed_in_email(client) is None
    assert not Teacher.objects.exists()


# --- Log in ------------------------------------------------------------------


def test_the_login_page_keeps_where_to_go_next(client):
    response = client.get("/accounts/login/", {"next": "/biology/"})
    assert response.status_code == 200
    assert b'name="next" value="/biology/"' in response.content


def test_logging_in_goes_to_next(client, owner):
    response = client.post(
        "/accounts/login/", {"email": "owner@school.example", "password": PASSWORD, "next": "/biology/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/biology/"
    assert signed_in_email(client) == "owner@school.example"


def test_logging_in_never_redirects_off_site(client, owner):
    response = client.post(
        "/accounts/login/",
        {"email": "owner@school.example", "password": PASSWORD, "next": "https://evil.example/phish"},
    )
    assert response["Location"] == "/"


def test_a_wrong_password_shows_an_error(client, owner):
    response = client.post("/accounts/login/", {"email": "owner@school.example", "password": "wrong"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "Wrong email or password." in content
    assert 'value="owner@school.example"' in content
    assert signed_in_email(client) is None


def test_too_many_wrong_passwords_hold_the_login_page_with_a_clear_message(client, owner, settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 3
    wrong = {"email": "owner@school.example", "password": "wrong"}
    statuses = [client.post("/accounts/login/", wrong).status_code for _ in range(3)]

    response = client.post("/accounts/login/", {"email": "owner@school.example", "password": PASSWORD})

    assert statuses == [400, 400, 400]
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= settings.FAILED_ATTEMPT_WINDOW_SECONDS
    assert "Too many failed sign-ins. Try again in" in response.content.decode()
    assert signed_in_email(client) is None


def test_sign_ins_through_the_page_and_the_api_count_together(client, api, owner, settings):
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 2
    client.post("/accounts/login/", {"email": "owner@school.example", "password": "wrong"})
    api.post("/api/tokens", {"email": "owner@school.example", "password": "wrong"})

    response = client.post("/accounts/login/", {"email": "owner@school.example", "password": PASSWORD})

    assert response.status_code == 429


# --- Log out -----------------------------------------------------------------


def test_visiting_logout_asks_for_confirmation_and_keeps_you_signed_in(client, owner):
    client.force_login(owner.obj)

    response = client.get("/accounts/logout/")

    assert response.status_code == 200
    assert b'data-testid="logout-form"' in response.content
    assert signed_in_email(client) == "owner@school.example"


def test_confirming_logout_signs_out(client, owner):
    client.force_login(owner.obj)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_email(client) is None


def test_logging_out_needs_the_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner.obj)

    response = client.post("/accounts/logout/")

    assert response.status_code == 403
    assert signed_in_email(client) == "owner@school.example"

"""POST /api/teachers"""

from __future__ import annotations

import pytest
from django.core import mail

from accounts import services
from accounts.models import Teacher
from conftest import PASSWORD
from tests.assertions import error_of


def sign_up(api, email="ada@school.example", password=PASSWORD):
    return api.post("/api/teachers", {"email": email, "password": password})


def test_signing_up_answers_202_check_your_email(api):
    response = sign_up(api)

    assert response.status == 202
    assert response.body == {"email": "ada@school.example"}


def test_the_account_works_only_once_the_emailed_link_is_opened(api):
    sign_up(api)

    assert error_of(api.post("/api/tokens", {"email": "ada@school.example", "password": PASSWORD})) == (
        401,
        "invalid_credentials",
    )
    services.teacher_sign_up_confirm(teacher=Teacher.objects.get())
    token = api.post("/api/tokens", {"email": "ada@school.example", "password": PASSWORD}).body["token"]
    assert api.post("/api/rooms", {"name": "chemistry"}, token=token).status == 201


def test_the_email_is_answered_and_stored_lowercase(api):
    response = sign_up(api, email="Ada@School.Example")

    assert response.body == {"email": "ada@school.example"}
    assert Teacher.objects.get().email == "ada@school.example"


@pytest.mark.parametrize("email", ["owner@school.example", "OWNER@school.example", "newcomer@school.example"])
def test_a_known_address_and_a_new_one_get_the_same_answer(api, owner, email):
    response = sign_up(api, email=email, password="another long passphrase")

    assert (response.status, response.body) == (202, {"email": email.lower()})
    assert set(response.headers) == set(sign_up(api, email="someone.else@school.example").headers)


def test_signing_up_with_a_known_address_leaves_the_account_alone(api, owner):
    sign_up(api, email="owner@school.example", password="another long passphrase")

    assert Teacher.objects.filter(email="owner@school.example").count() == 1
    assert api.post("/api/tokens", {"email": "owner@school.example", "password": PASSWORD}).status == 200


class TestTheEmailThatFits:
    """Sign-up sends one email either way; only the mailbox learns whether the account existed."""

    def test_a_new_address_gets_the_link_that_finishes_signing_up(self, api, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            sign_up(api, email="New@School.example")

        [welcome] = mail.outbox
        assert welcome.to == ["new@school.example"]
        assert welcome.subject == "Welcome to todaysmeet: confirm your email to finish signing up"
        assert "http://127.0.0.1:8000/accounts/signup/confirm/" in welcome.body

    def test_a_known_address_gets_sign_in_and_reset_links_instead(self, api, owner, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            sign_up(api, email="owner@school.example", password="another long passphrase")

        [attempt] = mail.outbox
        assert attempt.to == ["owner@school.example"]
        assert attempt.subject == "Someone tried to sign up to todaysmeet with your address"
        assert "http://127.0.0.1:8000/accounts/login/" in attempt.body
        assert "http://127.0.0.1:8000/accounts/password/reset/" in attempt.body
        assert "/accounts/signup/confirm/" not in attempt.body

    def test_repeated_attempts_on_a_known_address_send_one_email_every_two_minutes(
        self, api, owner, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(5):
                assert sign_up(api, email="owner@school.example").status == 202

        assert len(mail.outbox) == 1


@pytest.mark.parametrize("email", ["not-an-email", "", "ada@", "@school.example", None, 5, ["ada@school.example"]])
def test_an_invalid_email_returns_400(api, email):
    response = api.post("/api/teachers", {"email": email, "password": PASSWORD})

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "email"
    assert not Teacher.objects.exists()


def test_an_email_too_long_to_store_returns_400(api):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".example"

    response = api.post("/api/teachers", {"email": email, "password": PASSWORD})

    assert error_of(response) == (400, "invalid")


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("short", id="too-short"),
        pytest.param("password123", id="common"),
        pytest.param("40298173650912", id="all-digits"),
        pytest.param("ada@school.example", id="like-the-email"),
        pytest.param("", id="empty"),
        pytest.param(None, id="missing"),
        pytest.param(12345678901, id="not-text"),
    ],
)
def test_a_weak_password_returns_400(api, password):
    response = api.post("/api/teachers", {"email": "ada@school.example", "password": password})

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "password"
    assert not Teacher.objects.exists()


def test_an_unpaired_surrogate_in_the_password_returns_400(api):
    body = '{"email": "ada@school.example", "password": "a long enough passphrase \\ud800"}'

    response = api.post("/api/teachers", body)

    assert error_of(response) == (400, "invalid_json")


def test_get_returns_405_json(api):
    response = api.get("/api/teachers")

    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"

"""POST /api/teachers"""

from __future__ import annotations

import pytest

from accounts.models import Teacher
from tests.assertions import error_of

PASSWORD = "a long enough passphrase"


def test_signing_up_returns_201_with_a_working_token(api):
    response = api.post("/api/teachers", {"email": "ada@school.example", "password": PASSWORD})

    assert response.status == 201
    assert response.body == {"token": response.body["token"], "teacher": {"email": "ada@school.example"}}
    room = api.post("/api/rooms", {"name": "chemistry"}, token=response.body["token"])
    assert room.status == 201


def test_the_email_is_answered_and_stored_lowercase(api):
    response = api.post("/api/teachers", {"email": "Ada@School.Example", "password": PASSWORD})

    assert response.status == 201
    assert response.body["teacher"] == {"email": "ada@school.example"}
    assert Teacher.objects.get().email == "ada@school.example"


def test_a_taken_email_returns_409(api):
    api.post("/api/teachers", {"email": "ada@school.example", "password": PASSWORD})

    response = api.post("/api/teachers", {"email": "ada@school.example", "password": "another long passphrase"})

    assert error_of(response) == (409, "email_taken")


def test_an_email_taken_in_another_case_returns_409(api):
    api.post("/api/teachers", {"email": "ada@school.example", "password": PASSWORD})

    response = api.post("/api/teachers", {"email": "ADA@SCHOOL.EXAMPLE", "password": PASSWORD})

    assert error_of(response) == (409, "email_taken")
    assert Teacher.objects.count() == 1


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

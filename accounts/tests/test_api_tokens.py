"""POST /api/tokens"""

from __future__ import annotations

import pytest

from tests.assertions import error_of

PASSWORD = "a long enough passphrase"


@pytest.fixture
def ada(make_teacher):
    return make_teacher("ada@school.example")


def test_right_credentials_return_200_with_a_new_working_token(api, ada):
    response = api.post("/api/tokens", {"email": "ada@school.example", "password": PASSWORD})

    assert response.status == 200
    assert set(response.body) == {"token"}
    assert response.body["token"] != ada.token
    assert api.post("/api/rooms", {"name": "chemistry"}, token=response.body["token"]).status == 201


def test_the_email_is_matched_case_insensitively(api, ada):
    response = api.post("/api/tokens", {"email": "ADA@School.Example", "password": PASSWORD})

    assert response.status == 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"email": "ada@school.example", "password": "the wrong passphrase"}, id="wrong-password"),
        pytest.param({"email": "nobody@school.example", "password": PASSWORD}, id="unknown-email"),
        pytest.param({"email": "ada@school.example"}, id="no-password"),
        pytest.param({}, id="empty-body"),
        pytest.param({"email": ["ada@school.example"], "password": PASSWORD}, id="email-not-text"),
        pytest.param({"email": "ada\x00@school.example", "password": PASSWORD}, id="nul-in-email"),
    ],
)
def test_wrong_credentials_return_401(api, ada, body):
    response = api.post("/api/tokens", body)

    assert error_of(response) == (401, "invalid_credentials")
    assert "token" not in response.body


def test_a_deactivated_teacher_gets_401(api, ada):
    ada.obj.is_active = False
    ada.obj.save()

    response = api.post("/api/tokens", {"email": "ada@school.example", "password": PASSWORD})

    assert error_of(response) == (401, "invalid_credentials")


def test_a_token_stops_working_when_its_teacher_is_deactivated(api, ada):
    ada.obj.is_active = False
    ada.obj.save()

    response = api.post("/api/rooms", {"name": "chemistry"}, token=ada.token)

    assert error_of(response) == (401, "invalid_token")

"""POST /api/tokens"""

from __future__ import annotations

import pytest

from tests.assertions import error_of
from tests.servers import wait_until

PASSWORD = "a long enough passphrase"
WRONG_PASSWORD = "the wrong passphrase"


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


class TestGuessing:
    def sign_in(self, api, email="ada@school.example", password=WRONG_PASSWORD, address="192.0.2.1"):
        return api.post("/api/tokens", {"email": email, "password": password}, REMOTE_ADDR=address)

    def test_sixty_wrong_guesses_meet_429_with_retry_after_by_default(self, api, ada, settings):
        statuses = [self.sign_in(api).status for _ in range(60)]

        refused = self.sign_in(api)
        assert statuses[: settings.SIGN_IN_FAILURES_PER_ACCOUNT] == [401] * settings.SIGN_IN_FAILURES_PER_ACCOUNT
        assert set(statuses[settings.SIGN_IN_FAILURES_PER_ACCOUNT :]) == {429}
        assert error_of(refused) == (429, "too_many_attempts")
        assert 1 <= int(refused.headers["Retry-After"]) <= settings.FAILED_ATTEMPT_WINDOW_SECONDS
        assert refused.body["error"]["retry_after"] == int(refused.headers["Retry-After"])

    def test_once_an_account_is_held_even_the_right_password_waits(self, api, ada, settings):
        settings.SIGN_IN_FAILURES_PER_ACCOUNT = 3
        for _ in range(3):
            self.sign_in(api)

        response = self.sign_in(api, password=PASSWORD, address="198.51.100.7")

        assert error_of(response) == (429, "too_many_attempts")

    def test_an_address_guessing_many_accounts_is_held_and_others_are_not(self, api, ada, settings):
        settings.SIGN_IN_FAILURES_PER_ADDRESS = 3
        for index in range(3):
            self.sign_in(api, email=f"someone{index}@school.example")

        from_the_guesser = self.sign_in(api, password=PASSWORD)
        from_elsewhere = self.sign_in(api, password=PASSWORD, address="198.51.100.7")

        assert error_of(from_the_guesser) == (429, "too_many_attempts")
        assert from_elsewhere.status == 200

    def test_right_passwords_are_never_counted(self, api, ada, settings):
        settings.SIGN_IN_FAILURES_PER_ACCOUNT = 2

        statuses = {self.sign_in(api, password=PASSWORD).status for _ in range(5)}

        assert statuses == {200}

    def test_spelling_an_email_differently_is_the_same_account(self, api, ada, settings):
        settings.SIGN_IN_FAILURES_PER_ACCOUNT = 2
        self.sign_in(api, email="ADA@school.example")
        self.sign_in(api, email=" ada@School.Example ")

        assert error_of(self.sign_in(api, address="198.51.100.7")) == (429, "too_many_attempts")

    def test_the_hold_ends_with_its_window(self, api, ada, settings):
        settings.SIGN_IN_FAILURES_PER_ACCOUNT = 1
        settings.FAILED_ATTEMPT_WINDOW_SECONDS = 1
        self.sign_in(api)
        assert self.sign_in(api, password=PASSWORD).status == 429

        wait_until(lambda: self.sign_in(api, password=PASSWORD).status == 200, timeout=5, interval=0.1)

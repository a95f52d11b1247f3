"""Failed guesses are counted in Redis, so every server process holds a guesser back."""

from __future__ import annotations

import pytest

from tests.integration.clients import HttpApi

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LIMIT = 3


def test_wrong_passwords_through_one_process_are_held_by_the_other(private_redis, start_servers, owner):
    first, second = start_servers(2, redis=private_redis, SIGN_IN_FAILURES_PER_ACCOUNT=str(LIMIT))
    wrong = {"email": owner.obj.email, "password": "not the passphrase"}

    statuses = [HttpApi(first.http_url).request("POST", "/api/tokens", wrong)[0] for _ in range(LIMIT)]
    status, body = HttpApi(second.http_url).request(
        "POST", "/api/tokens", {"email": owner.obj.email, "password": "a long enough passphrase"}
    )

    assert statuses == [401] * LIMIT
    assert (status, body["error"]["code"]) == (429, "too_many_attempts")

"""Failed guesses are counted per client address, as a trusted proxy reports it, and never break sign-in."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from tests.servers import free_port
from todaysmeet import attempts
from todaysmeet.errors import RateLimited


def request_from(address: str, **headers: str):
    return RequestFactory().post("/api/tokens", REMOTE_ADDR=address, **headers)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("203.0.113.5, 192.0.2.1", "192.0.2.1"),
        ("not an address", "127.0.0.1"),
        ("", "127.0.0.1"),
    ],
)
def test_the_proxys_header_names_the_client_and_garbage_falls_back(settings, header, expected):
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"

    assert attempts.client_address(request_from("127.0.0.1", HTTP_X_REAL_IP=header)) == expected


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.CLIENT_ADDRESS_HEADER = ""

    assert attempts.client_address(request_from("198.51.100.7", HTTP_X_REAL_IP="192.0.2.1")) == "198.51.100.7"


def test_ipv6_clients_are_counted_by_their_64(settings):
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 2
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::ffff"):
        attempts.count_attempt(request_from(host), attempts.SIGN_IN, target=f"{host}@school.example")

    with pytest.raises(RateLimited):
        attempts.refuse_if_over_limit(
            request_from("2001:db8:1:2::7"), attempts.SIGN_IN, target="another@school.example"
        )
    attempts.refuse_if_over_limit(request_from("2001:db8:1:3::1"), attempts.SIGN_IN, target="another@school.example")


def test_with_redis_unreachable_guesses_are_not_limited_and_nothing_breaks(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = 1
    request = request_from("192.0.2.1")

    attempts.count_attempt(request, attempts.SIGN_IN, target="ada@school.example")
    attempts.refuse_if_over_limit(request, attempts.SIGN_IN, target="ada@school.example")

    assert "not limiting" in caplog.text

"""GET /healthz"""

from __future__ import annotations

import socket

import pytest


def closed_port() -> int:
    """A loopback port that nothing listens on (it was just free)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_200_ok_when_database_and_channel_layer_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["channel_layer"]["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_when_the_channel_layer_is_unreachable(client, settings):
    # Redis is an external service: pointing at a port with nothing behind it is the outage.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{closed_port()}/0"]},
        }
    }

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["channel_layer"]["status"] == "unavailable"
    assert body["database"]["status"] == "ok"

"""Requests crafted to crash the server get a clean refusal, and leave no ERROR in its log."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.clients import WAIT_TIMEOUT_SECONDS, HttpApi

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FIVE_THOUSAND_DIGITS = "9" * 5000
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def status_of(url: str) -> int:
    try:
        with _opener.open(url, timeout=WAIT_TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def errors_logged(daphne) -> list[str]:
    lines = daphne.log_path.read_text(errors="replace").splitlines()
    return [line for line in lines if " ERROR " in line or "Traceback" in line]


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2f..%2ftodaysmeet%2fsettings.py",
        "/static/rooms/..%2f..%2f..%2fmanage.py",
        "/static/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_a_static_path_that_climbs_out_is_404(daphne, path):
    assert status_of(daphne.http_url + path) == 404
    assert errors_logged(daphne) == []


def test_a_static_file_is_still_served(daphne):
    assert status_of(daphne.http_url + "/static/rooms/site.css") == 200


@pytest.mark.parametrize("endpoint", ["events", "messages"])
def test_a_since_of_five_thousand_digits_is_400_over_http(daphne, room, endpoint):
    api = HttpApi(daphne.http_url)

    status, body = api.request("GET", f"/api/rooms/{room.name}/{endpoint}?since={FIVE_THOUSAND_DIGITS}")

    assert (status, body["error"]["code"]) == (400, "invalid")
    assert errors_logged(daphne) == []


async def test_a_since_of_five_thousand_digits_closes_the_socket_with_4400(daphne, room):
    async with connect(
        f"{daphne.ws_url}/ws/rooms/{room.name}/?since={FIVE_THOUSAND_DIGITS}",
        open_timeout=WAIT_TIMEOUT_SECONDS,
        proxy=None,
    ) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()

    assert closed.value.rcvd.code == 4400
    assert errors_logged(daphne) == []

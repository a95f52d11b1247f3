"""What the production server process (`manage.py serve`) writes to its log with LOG_FORMAT=json.

Not plain `daphne`: its command line adds an access log of its own, on by
default, which prints query strings as they came, `?token=` included.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.clients import HttpApi
from tests.servers import ServeProcess, server_environment

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def json_server(transactional_db, tmp_path):
    log_path = tmp_path / "daphne.log"
    server = ServeProcess(env=server_environment(LOG_FORMAT="json"), log_path=log_path).start()
    yield server, log_path
    server.stop()


def _records(log_path) -> list[dict]:
    # `serve` prints where it listens before logging starts; every record is a JSON object.
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]


async def _socket_close_code(url: str) -> int:
    async with connect(url, proxy=None) as socket:
        try:
            await socket.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code
    raise AssertionError("the socket was not closed")


async def test_every_line_is_json_every_4xx_once_and_no_token_anywhere(json_server, room, participant):
    server, log_path = json_server
    api = HttpApi(server.http_url)

    missing = await asyncio.to_thread(api.request, "GET", "/api/rooms/no-such-room")
    refused = await asyncio.to_thread(
        api.request, "POST", "/api/rooms/biology/messages?token=query-secret", {"text": "hi"}, token="header-secret"
    )
    posted = await asyncio.to_thread(
        api.request, "POST", "/api/rooms/biology/messages", {"text": "hi"}, token=participant.token
    )
    close_code = await _socket_close_code(f"{server.ws_url}/ws/rooms/no-such-room/?token={participant.token}")
    server_pid = server.pid
    server.stop()

    assert (missing[0], refused[0], posted[0], close_code) == (404, 401, 201, 4404)
    text = log_path.read_text()
    for secret in ("query-secret", "header-secret", participant.token):
        assert secret not in text
    records = _records(log_path)
    assert [line for line in text.splitlines() if not line.startswith("{")] == [
        f"starting on {server.http_url} (pid {server_pid})"
    ]
    for record in records:
        assert {"time", "level", "logger", "message", "request_id", "room", "actor_kind"} <= set(record)
    assert [record["status"] for record in records if "/api/rooms/no-such-room" in record["message"]] == [404]
    assert [record["status"] for record in records if "/api/rooms/biology/messages?" in record["message"]] == [401]
    accepted = next(record for record in records if record.get("status") == 201)
    assert (accepted["room"], accepted["actor_kind"]) == ("biology", "participant")
    assert isinstance(accepted["duration_ms"], float)
    sockets = [record for record in records if record["logger"] == "streaming.consumers"]
    assert [record["message"] for record in sockets] == ["websocket open", "websocket closed with 4404"]
    assert sockets[1]["close_code"] == 4404
    assert sockets[0]["request_id"] == sockets[1]["request_id"]
    assert {record["room"] for record in sockets} == {"no-such-room"}

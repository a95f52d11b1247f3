"""Losing access closes the open socket at once on every process, through the channel layer."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from conftest import moderator_made
from tests.integration.clients import WAIT_TIMEOUT_SECONDS, HttpApi

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


async def close_code_after(ws_url: str, path: str, act) -> int:
    """Open a socket on `path`, wait for its hello, run `act` (blocking, in a thread), and return its close code."""
    async with connect(f"{ws_url}{path}", open_timeout=WAIT_TIMEOUT_SECONDS, proxy=None) as socket:
        hello = json.loads(await asyncio.wait_for(socket.recv(), WAIT_TIMEOUT_SECONDS))
        assert hello["type"] == "hello"
        await asyncio.to_thread(act)
        async with asyncio.timeout(WAIT_TIMEOUT_SECONDS):
            await socket.wait_closed()
        return socket.close_code


async def test_a_participant_removed_through_one_process_is_cut_off_on_the_other(
    private_redis, start_servers, owner, room, participant
):
    first, second = await asyncio.to_thread(start_servers, 2, redis=private_redis)

    def remove() -> None:
        status, _ = HttpApi(first.http_url).request(
            "POST", f"/api/rooms/{room.name}/participants/{participant.obj.pk}/block", token=owner.token
        )
        assert status == 200

    code = await close_code_after(second.ws_url, f"/ws/rooms/{room.name}/?token={participant.token}", remove)

    assert code == 4403


@pytest.fixture
def helper(room, make_teacher):
    """A co-moderator of the room."""
    helper = make_teacher("helper@school.example")
    moderator_made(room, helper.obj)
    return helper


async def test_a_co_moderator_removed_through_one_process_is_cut_off_on_the_other(
    private_redis, start_servers, owner, room, helper
):
    first, second = await asyncio.to_thread(start_servers, 2, redis=private_redis)

    def remove() -> None:
        status, _ = HttpApi(first.http_url).request(
            "DELETE", f"/api/rooms/{room.name}/moderators/{helper.obj.email}", token=owner.token
        )
        assert status == 204

    code = await close_code_after(second.ws_url, f"/ws/rooms/{room.name}/?token={helper.token}", remove)

    assert code == 4401

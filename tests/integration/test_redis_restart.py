"""Redis restarts mid-stream, empty: nobody loses an event, and the servers resubscribe on their own."""

from __future__ import annotations

import asyncio

import pytest
import redis

from tests.integration.clients import HttpApi, StreamClient, connect_all
from tests.integration.rooms import Classroom, open_classroom, visible_in_database
from tests.servers import scrape_metrics, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Long enough for a hub's backoff to reach Redis again on a loaded machine.
RESUBSCRIBE_TIMEOUT_SECONDS = 20
METRICS_TOKEN = "redis-restart-metrics-token-0123456789"


@pytest.fixture
def classroom(owner, make_participant) -> Classroom:
    return open_classroom(owner, make_participant, name="meiosis", students=2)


async def test_listeners_lose_nothing_and_never_reconnect_when_redis_restarts_empty(
    private_redis, start_servers, classroom
):
    servers = await asyncio.to_thread(start_servers, 2, redis=private_redis, METRICS_TOKEN=METRICS_TOKEN)
    apis = [HttpApi(server.http_url) for server in servers]
    listeners = [StreamClient(server.ws_url, classroom.name) for server in servers for _ in range(2)]
    await connect_all(listeners, since=0)
    group_members = redis.Redis(port=private_redis.port)

    async def post_through_each(label: str) -> list[dict]:
        return list(
            await asyncio.gather(
                *(
                    asyncio.to_thread(api.post_message, classroom.name, f"{label} via {index}", token=token)
                    for index, (api, token) in enumerate(zip(apis, classroom.student_tokens, strict=True))
                )
            )
        )

    before = await post_through_each("before")
    for listener in listeners:
        await listener.wait_for_position(len(before))

    private_redis.kill()
    # Stored and acknowledged, though nothing can be published: listeners
    # get these from the database once the servers notice Redis is back.
    during = await post_through_each("during the outage")
    private_redis.start()
    room_group = f"test:group:room.{classroom.room_id}"
    await asyncio.to_thread(
        wait_until,
        lambda: group_members.zcard(room_group) == len(servers),
        timeout=RESUBSCRIBE_TIMEOUT_SECONDS,
        message="the servers did not rejoin the room's group after Redis came back",
    )
    after = await post_through_each("after")
    head = len(before) + len(during) + len(after)
    for listener in listeners:
        await listener.wait_for_position(head)
    stored = await visible_in_database(classroom.name)
    metrics = [await asyncio.to_thread(scrape_metrics, server.http_url, token=METRICS_TOKEN) for server in servers]
    for listener in listeners:
        await listener.close()
    group_members.close()

    # post_message fails on anything but 200/201: the posts made while Redis
    # was down were stored and acknowledged like any other.
    assert sorted(message["seq"] for message in [*before, *during, *after]) == list(range(1, head + 1))
    for listener in listeners:
        assert listener.connections == 1
        assert listener.event_seqs == list(range(1, head + 1))
        assert listener.visible_messages() == stored
    for server_metrics in metrics:
        assert server_metrics[("todaysmeet_channel_layer_reconnects_total", frozenset())] >= 1
        assert sum(
            value for (name, _), value in server_metrics.items() if name == "todaysmeet_channel_layer_errors_total"
        )


async def test_servers_rejoin_on_their_own_when_redis_forgets_their_groups_without_any_error(
    private_redis, start_servers, classroom
):
    # A failover to a replica that missed the joins, or a FLUSHALL: the
    # connections stay up, so only the hubs' heartbeats can notice.
    servers = await asyncio.to_thread(start_servers, 2, redis=private_redis)
    listeners = [StreamClient(server.ws_url, classroom.name) for server in servers]
    await connect_all(listeners, since=0)
    redis_client = redis.Redis(port=private_redis.port)
    room_group = f"test:group:room.{classroom.room_id}"
    await asyncio.to_thread(
        wait_until, lambda: redis_client.zcard(room_group) == len(servers), timeout=RESUBSCRIBE_TIMEOUT_SECONDS
    )

    await asyncio.to_thread(redis_client.flushall)
    forgotten = await asyncio.to_thread(
        HttpApi(servers[0].http_url).post_message, classroom.name, "nobody is listening", token=classroom.owner_token
    )
    await asyncio.to_thread(
        wait_until,
        lambda: redis_client.zcard(room_group) == len(servers),
        timeout=RESUBSCRIBE_TIMEOUT_SECONDS,
        message="the servers did not notice that Redis forgot their groups",
    )
    live = await asyncio.to_thread(
        HttpApi(servers[1].http_url).post_message, classroom.name, "heard again", token=classroom.owner_token
    )
    for listener in listeners:
        await listener.wait_for_position(live["seq"])
    for listener in listeners:
        await listener.close()
    redis_client.close()

    for listener in listeners:
        assert listener.connections == 1
        assert listener.visible_messages() == {forgotten["id"]: forgotten["text"], live["id"]: live["text"]}

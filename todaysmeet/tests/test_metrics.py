"""The metrics a process exports, and who may read them."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from rooms import services

METRICS_TOKEN = "m" * 40


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = METRICS_TOKEN


def test_metrics_are_not_there_unless_a_token_is_set(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"])
def test_metrics_need_the_bearer_token(client, metrics_on, header):
    headers = {"Authorization": header} if header else {}

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_token_holder_reads_every_family_in_prometheus_text(client, metrics_on):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "todaysmeet_http_requests",
        "todaysmeet_http_request_duration_seconds",
        "todaysmeet_room_actions",
        "todaysmeet_room_action_duration_seconds",
        "todaysmeet_websockets_open",
        "todaysmeet_rooms_streaming",
        "todaysmeet_websocket_closes",
        "todaysmeet_fanout_latency_seconds",
        "todaysmeet_stream_repairs",
        "todaysmeet_stream_replays",
        "todaysmeet_slow_client_cutoffs",
        "todaysmeet_channel_layer_errors",
        "todaysmeet_channel_layer_reconnects",
        "todaysmeet_database_unavailable",
        "todaysmeet_database_thread_queue_depth",
        "todaysmeet_webhook_deliveries",
        "process_cpu_seconds",
    } <= names


@pytest.mark.django_db
def test_http_answers_are_counted_by_view_method_and_status(api):
    before = sample("todaysmeet_http_requests_total", view="api:room", method="GET", status="404")

    api.get("/api/rooms/nowhere")

    assert sample("todaysmeet_http_requests_total", view="api:room", method="GET", status="404") == before + 1


@pytest.mark.django_db
def test_a_made_up_method_does_not_make_a_series_of_its_own(client):
    client.generic("BREW", "/api/rooms")

    assert sample("todaysmeet_http_requests_total", view="api:rooms", method="BREW", status="405") == 0
    assert sample("todaysmeet_http_requests_total", view="api:rooms", method="other", status="405") >= 1


@pytest.mark.django_db
def test_posts_are_counted_accepted_or_refused_by_code_and_timed(api, room, participant, owner):
    accepted = sample("todaysmeet_room_actions_total", action="post", outcome="accepted", code="")
    muted = sample("todaysmeet_room_actions_total", action="post", outcome="refused", code="muted")
    unauthenticated = sample("todaysmeet_room_actions_total", action="post", outcome="refused", code="invalid_token")
    timed = sample("todaysmeet_room_action_duration_seconds_count", action="post")

    api.post("/api/rooms/biology/messages", {"text": "first"}, token=participant.token)
    services.participant_mute(room=room, participant=participant.obj, muted=True)
    api.post("/api/rooms/biology/messages", {"text": "second"}, token=participant.token)
    api.post("/api/rooms/biology/messages", {"text": "third"}, token="not-a-token")

    assert sample("todaysmeet_room_actions_total", action="post", outcome="accepted", code="") == accepted + 1
    assert sample("todaysmeet_room_actions_total", action="post", outcome="refused", code="muted") == muted + 1
    assert (
        sample("todaysmeet_room_actions_total", action="post", outcome="refused", code="invalid_token")
        == unauthenticated + 1
    )
    assert sample("todaysmeet_room_action_duration_seconds_count", action="post") == timed + 3


@pytest.mark.django_db
def test_joins_and_deletes_are_counted(api, room, owner, participant):
    message, _ = services.message_post(room=room, author=participant.obj, text="to go")
    joins = sample("todaysmeet_room_actions_total", action="join", outcome="accepted", code="")
    deletes = sample("todaysmeet_room_actions_total", action="delete", outcome="accepted", code="")
    refused = sample("todaysmeet_room_actions_total", action="delete", outcome="refused", code="not_moderator")

    api.post("/api/rooms/biology/join", {"nickname": "ada"})
    api.delete(f"/api/rooms/biology/messages/{message.pk}", token=participant.token)
    api.delete(f"/api/rooms/biology/messages/{message.pk}", token=owner.token)

    assert sample("todaysmeet_room_actions_total", action="join", outcome="accepted", code="") == joins + 1
    assert sample("todaysmeet_room_actions_total", action="delete", outcome="accepted", code="") == deletes + 1
    assert (
        sample("todaysmeet_room_actions_total", action="delete", outcome="refused", code="not_moderator") == refused + 1
    )


def test_each_database_thread_reports_its_queue():
    from todaysmeet.asgi import sync_threads

    threads = {
        point.labels["thread"]
        for metric in REGISTRY.collect()
        if metric.name == "todaysmeet_database_thread_queue_depth"
        for point in metric.samples
    }

    assert {f"sync-{index}" for index in range(len(sync_threads.executors))} | {"shared"} <= threads

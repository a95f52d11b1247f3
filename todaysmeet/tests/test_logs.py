"""Log lines: JSON when asked, stamped with their request, never holding a secret."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from todaysmeet.logs import REDACTED, ContextFilter, json_formatter, logging_config, redact


@pytest.fixture
def json_lines():
    """What the root logger writes in LOG_FORMAT=json, as parsed objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /ws/rooms/bio/?token=abc123 101", f"GET /ws/rooms/bio/?token={REDACTED} 101"),
        ("/ws/rooms/bio/?since=4&token=abc&x=1", f"/ws/rooms/bio/?since=4&token={REDACTED}&x=1"),
        ("Authorization: Bearer abc.def", f"Authorization: Bearer {REDACTED}"),
        ("no secrets here", "no secrets here"),
    ],
)
def test_redact_removes_tokens_from_query_strings_and_headers(text, expected):
    assert redact(text) == expected


def test_an_unknown_log_format_is_refused_at_start_up():
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")


def test_a_json_line_has_time_level_logger_message_and_the_request_fields(json_lines):
    logging.getLogger("rooms.test").warning("posted %s", "twice", extra={"status": 409})

    (line,) = json_lines()
    assert line["level"] == "WARNING"
    assert line["logger"] == "rooms.test"
    assert line["message"] == "posted twice"
    assert line["status"] == 409
    assert line["time"].endswith("+00:00")
    assert {"request_id", "room", "actor_kind"} <= set(line)


def test_a_token_in_a_message_argument_is_redacted_wherever_it_is_logged(json_lines):
    logging.getLogger("streaming.test").warning("refused %s", "/ws/rooms/bio/?token=s3cret")

    assert "s3cret" not in json.dumps(json_lines())


@pytest.mark.django_db
def test_an_answer_returns_the_request_id_the_client_sent(client, json_lines):
    response = client.get("/api/rooms/nowhere", headers={"X-Request-ID": "edge-7f3a"})

    assert response["X-Request-ID"] == "edge-7f3a"
    access = [line for line in json_lines() if line["logger"] == "todaysmeet.access"]
    assert [line["request_id"] for line in access] == ["edge-7f3a"]


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "", "has spaces", "x" * 129, 'quote"d'])
def test_a_request_without_a_usable_id_gets_a_fresh_one(client, header):
    headers = {"X-Request-ID": header} if header is not None else {}

    first = client.get("/healthz", headers=headers)["X-Request-ID"]
    second = client.get("/healthz", headers=headers)["X-Request-ID"]

    assert first != second
    assert len(first) == 32


@pytest.mark.django_db
def test_the_access_line_names_the_room_the_actor_kind_the_status_and_the_duration(api, room, participant, json_lines):
    api.post("/api/rooms/biology/messages?token=leaked", {"text": "hi"}, token=participant.token)

    (access,) = [line for line in json_lines() if line["logger"] == "todaysmeet.access"]
    assert access["room"] == "biology"
    assert access["actor_kind"] == "participant"
    assert access["status"] == 201
    assert access["view"] == "api:room-messages"
    assert access["duration_ms"] >= 0
    assert access["path"] == f"/api/rooms/biology/messages?token={REDACTED}"
    assert participant.token not in json.dumps(json_lines())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/api/rooms/nowhere", 404), ("post", "/api/rooms", 401), ("put", "/api/rooms", 405)],
)
def test_a_client_error_is_logged_once(client, json_lines, method, path, status):
    # A JSON write, as the API requires, so that the answer is about the path and the caller.
    response = getattr(client, method)(path, content_type="application/json")

    assert response.status_code == status
    mentions = [line for line in json_lines() if path in line["message"]]
    assert len(mentions) == 1, mentions
    assert mentions[0]["level"] == "WARNING"

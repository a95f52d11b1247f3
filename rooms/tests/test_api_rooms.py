"""POST /api/rooms"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rooms.models import Room
from tests.assertions import error_of

RESERVED = ["api", "ws", "static", "media", "admin", "accounts", "rooms", "healthz", "metrics", "about", "help", "new"]


def parse_utc(value: str) -> datetime:
    assert value.endswith("Z"), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset().total_seconds() == 0
    return parsed


def test_a_teacher_creates_a_room_and_gets_201_with_the_room_json(api, owner, clock):
    before = clock.now().replace(microsecond=0)

    response = api.post("/api/rooms", {"name": "physics", "topic": "Motion"}, token=owner.token)

    assert response.status == 201
    body = response.body
    assert set(body) == {
        "name",
        "topic",
        "url",
        "created_at",
        "closes_at",
        "is_open",
        "seq",
        "lifetime",
        "paused",
        "slow_mode_seconds",
        "is_private",
        "review",
        "word_filter",
        "anonymous",
        "joining_locked",
        "role",
        "open_reports",
        "blocked_words",
    }
    assert body["name"] == "physics"
    assert body["topic"] == "Motion"
    assert body["url"] == "http://testserver/physics/"
    assert body["is_open"] is True
    assert body["seq"] == 0
    assert (body["lifetime"], body["paused"], body["slow_mode_seconds"], body["is_private"]) == ("1w", False, 0, False)
    assert body["joining_locked"] is False
    assert (body["role"], body["open_reports"]) == ("owner", 0)
    assert before <= parse_utc(body["created_at"]) <= clock.now()
    assert parse_utc(body["closes_at"]) - parse_utc(body["created_at"]) == timedelta(days=7)
    assert Room.objects.get(name="physics").owner == owner.obj


def test_the_topic_is_optional(api, owner):
    response = api.post("/api/rooms", {"name": "physics"}, token=owner.token)

    assert response.status == 201
    assert response.body["topic"] == ""


def test_an_uppercase_name_is_stored_and_answered_lowercase(api, owner):
    response = api.post("/api/rooms", {"name": "Physics-101"}, token=owner.token)

    assert response.status == 201
    assert response.body["name"] == "physics-101"
    assert response.body["url"] == "http://testserver/physics-101/"
    assert Room.objects.filter(name="physics-101").exists()


def test_the_url_uses_public_url_when_it_is_set(api, owner, settings):
    settings.PUBLIC_URL = "https://meet.example.org/"

    response = api.post("/api/rooms", {"name": "physics"}, token=owner.token)

    assert response.body["url"] == "https://meet.example.org/physics/"


def test_created_at_is_in_utc_whatever_the_server_time_zone(api, owner, settings):
    settings.TIME_ZONE = "America/New_York"

    response = api.post("/api/rooms", {"name": "physics"}, token=owner.token)

    created = parse_utc(response.body["created_at"])
    assert abs((created - datetime.now(UTC)).total_seconds()) < 60


def test_no_token_returns_401(api, db):
    response = api.post("/api/rooms", {"name": "physics"})

    assert error_of(response) == (401, "unauthenticated")
    assert not Room.objects.exists()


def test_a_bad_token_returns_401(api, db):
    response = api.post("/api/rooms", {"name": "physics"}, token="not-a-real-token")

    assert error_of(response) == (401, "invalid_token")


def test_a_participant_token_returns_403(api, participant):
    response = api.post("/api/rooms", {"name": "physics"}, token=participant.token)

    assert error_of(response) == (403, "teacher_only")
    assert not Room.objects.filter(name="physics").exists()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("ab", id="two-characters"),
        pytest.param("x" * 41, id="forty-one-characters"),
        pytest.param("-physics", id="leading-hyphen"),
        pytest.param("physics-", id="trailing-hyphen"),
        pytest.param("phys ics", id="space"),
        pytest.param("phys_ics", id="underscore"),
        pytest.param("física", id="accented"),
        pytest.param("", id="empty"),
        pytest.param(None, id="null"),
        pytest.param(101, id="number"),
    ],
)
def test_an_invalid_name_returns_400(api, owner, name):
    response = api.post("/api/rooms", {"name": name}, token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "name"
    assert not Room.objects.exists()


@pytest.mark.parametrize("name", ["abc", "x" * 40])
def test_names_of_three_and_forty_characters_are_accepted(api, owner, name):
    assert api.post("/api/rooms", {"name": name}, token=owner.token).status == 201


@pytest.mark.parametrize("name", RESERVED)
def test_a_reserved_word_returns_400(api, owner, name):
    response = api.post("/api/rooms", {"name": name}, token=owner.token)

    assert error_of(response) == (400, "name_reserved")


def test_a_reserved_word_in_uppercase_returns_400(api, owner):
    response = api.post("/api/rooms", {"name": "ADMIN"}, token=owner.token)

    assert error_of(response) == (400, "name_reserved")


def test_a_taken_name_returns_409(api, room, other_teacher):
    response = api.post("/api/rooms", {"name": "biology"}, token=other_teacher.token)

    assert error_of(response) == (409, "name_taken")
    assert Room.objects.get(name="biology").owner != other_teacher.obj


def test_a_name_taken_in_another_case_returns_409(api, room, other_teacher):
    response = api.post("/api/rooms", {"name": "BioLogy"}, token=other_teacher.token)

    assert error_of(response) == (409, "name_taken")


@pytest.mark.parametrize("topic", ["x" * 201, "bad\x07bell", 42])
def test_an_invalid_topic_returns_400(api, owner, topic):
    response = api.post("/api/rooms", {"name": "physics", "topic": topic}, token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "topic"


def test_put_on_the_collection_returns_405(api, owner):
    response = api.request("PUT", "/api/rooms", {"name": "physics"}, token=owner.token)

    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"


@pytest.mark.parametrize(
    ("lifetime", "span"),
    [
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(days=7)),
        ("1mo", timedelta(days=30)),
        ("1y", timedelta(days=365)),
    ],
)
def test_the_lifetime_sets_when_the_room_closes(api, owner, lifetime, span):
    response = api.post("/api/rooms", {"name": "physics", "lifetime": lifetime}, token=owner.token)

    assert response.status == 201
    assert response.body["lifetime"] == lifetime
    assert parse_utc(response.body["closes_at"]) - parse_utc(response.body["created_at"]) == span


def test_a_null_lifetime_means_the_default_week(api, owner):
    response = api.post("/api/rooms", {"name": "physics", "lifetime": None}, token=owner.token)

    assert response.body["lifetime"] == "1w"


@pytest.mark.parametrize("lifetime", ["3h", "1W", "", "forever", 7, ["1w"], True])
def test_an_unknown_lifetime_returns_400(api, owner, lifetime):
    response = api.post("/api/rooms", {"name": "physics", "lifetime": lifetime}, token=owner.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "lifetime"
    assert not Room.objects.exists()

"""Every /api/ answer is JSON: bad bodies, unknown URLs and wrong methods included."""

from __future__ import annotations

import pytest

from rooms.api import views
from rooms.api.http import api_endpoint
from rooms.models import Message
from tests.assertions import error_of

MESSAGES = "/api/rooms/biology/messages"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{not json", id="syntax-error"),
        pytest.param('{"text": "hi",}', id="trailing-comma"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param('{"text": "hi \\ud800"}', id="lone-surrogate-escape"),
        pytest.param("[" * 5000 + "]" * 5000, id="nested-too-deep"),
        pytest.param('{"text": ' + "[" * 5000 + "]" * 5000 + "}", id="nested-value-too-deep"),
    ],
)
def test_a_body_that_is_not_json_returns_400(api, room, participant, body):
    response = api.post(MESSAGES, body, token=participant.token)

    assert error_of(response) == (400, "invalid_json")
    assert not Message.objects.exists()


@pytest.mark.parametrize("body", ['["hi"]', '"hi"', "42", "null", "true"])
def test_json_that_is_not_an_object_returns_400(api, room, participant, body):
    response = api.post(MESSAGES, body, token=participant.token)

    assert error_of(response) == (400, "invalid_json")


def test_an_empty_body_is_an_empty_object(api, room, participant):
    response = api.post(MESSAGES, "", token=participant.token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "text"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", ""],
)
def test_a_body_that_is_not_declared_json_returns_415(api, room, participant, content_type):
    response = api.client.generic(
        "POST",
        MESSAGES,
        data='{"text": "hi"}',
        content_type=content_type,
        headers={"Authorization": f"Bearer {participant.token}"},
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not Message.objects.exists()


def test_a_json_content_type_may_name_its_charset(api, room, participant):
    response = api.client.generic(
        "POST",
        MESSAGES,
        data='{"text": "hi"}',
        content_type="application/json; charset=utf-8",
        headers={"Authorization": f"Bearer {participant.token}"},
    )

    assert response.status_code == 201


def test_a_write_without_a_body_needs_no_content_type(api, room, owner, participant):
    path = f"/api/rooms/biology/participants/{participant.obj.pk}/mute"

    response = api.client.generic(
        "POST", path, data="", content_type="", headers={"Authorization": f"Bearer {owner.token}"}
    )

    assert response.status_code == 200
    assert response.json()["participant"]["muted"] is True


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/rooms/biology/messages", {"text": 5}, "text"),
        ("/api/rooms/biology/messages", {"text": {"$gt": ""}}, "text"),
        ("/api/rooms/biology/join", {"nickname": None}, "nickname"),
        ("/api/rooms/biology/join", {"nickname": ["sam"]}, "nickname"),
        ("/api/rooms", {"name": ["physics"]}, "name"),
        ("/api/rooms", {"name": "physics", "topic": {"a": 1}}, "topic"),
        ("/api/teachers", {"email": 1, "password": "a long enough passphrase"}, "email"),
    ],
)
def test_wrong_types_return_400_not_500(api, room, owner, participant, path, body, field):
    token = participant.token if path.endswith("messages") else owner.token
    response = api.post(path, body, token=token)

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == field


def test_a_body_over_the_api_limit_returns_413(api, room, participant, settings):
    text = "x" * (settings.API_MAX_BODY_BYTES + 1)

    response = api.post(MESSAGES, {"text": text}, token=participant.token)

    assert error_of(response) == (413, "too_large")
    assert not Message.objects.exists()


def test_a_body_over_djangos_upload_limit_returns_413(api, room, participant, settings):
    body = '{"text": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'

    response = api.post(MESSAGES, body, token=participant.token)

    assert error_of(response) == (413, "too_large")


def test_a_huge_body_from_an_anonymous_client_still_gets_a_json_answer(api, room):
    response = api.post("/api/rooms/biology/join", "x" * (300 * 1024))

    assert error_of(response) == (413, "too_large")


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing-here",
        "/api/",
        "/api/rooms/biology/",
        "/api/rooms/biology/unknown",
        "/api/rooms/biology/messages/not-a-number",
        "/api/rooms/biology/messages/12/extra",
        "/api/v2/rooms",
    ],
)
def test_an_unknown_api_url_returns_json_404(api, room, path):
    response = api.get(path)

    assert error_of(response) == (404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/teachers", "POST"),
        ("GET", "/api/tokens", "POST"),
        ("PUT", "/api/rooms/biology", "DELETE, GET, PATCH"),
        ("POST", "/api/rooms/biology", "DELETE, GET, PATCH"),
        ("PUT", "/api/rooms/biology/messages", "GET, POST"),
        ("POST", "/api/rooms/biology/messages/1", "DELETE, PATCH"),
        ("DELETE", "/api/rooms/biology/events", "GET"),
    ],
)
def test_a_wrong_method_returns_json_405_with_allow(api, room, method, path, allowed):
    response = api.request(method, path)

    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == allowed


def test_a_misspelt_method_in_the_url_table_fails_at_start_not_as_a_silent_405():
    with pytest.raises(ValueError, match="Get"):
        api_endpoint(Get=views.get_room)


def test_an_unknown_room_page_outside_the_api_is_not_turned_into_json(api, room):
    response = api.client.get("/no-such-room/")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")

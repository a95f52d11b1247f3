"""GET /api/openapi.json: one operation per URL and method, shapes from the payload TypedDicts, checked against use."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema_rs
import pytest

from rooms.api.schema import ERROR_CODES, OPERATIONS, api_routes, openapi_document
from rooms.payloads import message_payload
from streaming.tests.conftest import listen  # noqa: F401 (a fixture)
from streaming.tests.sockets import room_path
from tests.openapi import check_answer

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_url_and_method_of_the_api_has_an_operation_and_no_operation_is_left_over():
    served = {(name, method) for name, (_, methods) in api_routes().items() for method in methods}

    assert served - set(OPERATIONS) == set(), "add these to rooms/api/schema.py's OPERATIONS"
    assert set(OPERATIONS) - served == set(), "these operations have no URL in rooms/api/urls.py"


def test_the_document_is_served_as_json_and_declares_openapi_3_1(api):
    response = api.get("/api/openapi.json")

    assert response.status == 200
    assert response.body["openapi"] == "3.1.0"
    assert "/api/rooms/{name}/messages" in response.body["paths"]
    assert set(response.body["paths"]["/api/rooms/{name}/messages"]) == {"get", "post"}


def test_every_error_code_in_docs_api_md_is_in_the_document_and_the_other_way_round():
    table = re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", API_DOC.read_text(), re.MULTILINE)

    assert {code: int(status) for status, code in table} == ERROR_CODES


@pytest.mark.django_db
def test_an_answer_with_a_field_the_document_does_not_know_fails_the_test_that_got_it(room, participant):
    from rooms import services

    message, _ = services.message_post(room=room, author=participant.obj, text="hi")
    body = {"message": {**message_payload(message), "mood": "cheerful"}}

    with pytest.raises(AssertionError, match="mood"):
        check_answer("POST", "/api/rooms/biology/messages", 201, body, "application/json")


def test_a_status_the_operation_does_not_declare_fails():
    with pytest.raises(AssertionError, match="doesn't declare"):
        check_answer("DELETE", "/api/rooms/biology", 200, None, "")


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_frames_match_the_appendix(listen, room, participant):  # noqa: F811
    from streaming.tests.sockets import post

    await post(room, participant.obj, "hello there")
    listener = await listen(room_path(room, since=0))
    frames = await listener.frames_through(1)
    document = openapi_document()
    frame_schema = jsonschema_rs.validator_for(
        {**document["x-websocket"]["frames"], "components": document["components"]}
    )

    assert [frame["type"] for frame in frames] == ["hello", "message.created"]
    for frame in frames:
        frame_schema.validate(frame)

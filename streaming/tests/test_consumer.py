"""The room websocket as a client sees it: hello, replay, live events, closes."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import sync_to_async

from streaming.tests.sockets import FRAME_TIMEOUT, Listener, delete, post, room_path

pytestmark = pytest.mark.django_db(transaction=True)


async def test_hello_is_the_first_frame_with_the_room_and_head(listen, api, room, participant):
    await post(room, participant.obj, "before anyone listens")

    listener = await listen(room_path(room))
    hello = await listener.next_frame()

    room_json = (await sync_to_async(api.get)(f"/api/rooms/{room.name}")).body
    assert hello == {"type": "hello", "room": room_json, "seq": 1}


async def test_hello_comes_first_even_when_resuming(listen, room, participant):
    await post(room, participant.obj, "one")

    listener = await listen(room_path(room, since=0))

    assert (await listener.next_frame())["type"] == "hello"
    assert (await listener.next_frame())["type"] == "message.created"


async def test_room_names_are_case_insensitive(listen, room):
    listener = await listen(f"/ws/rooms/{room.name.upper()}/")

    hello = await listener.next_frame()

    assert hello["room"]["name"] == room.name


async def test_live_events_have_the_shape_of_the_events_endpoint(listen, api, room, owner, participant):
    listener = await listen(room_path(room))
    await listener.next_frame()

    first = await post(room, participant.obj, "Mitochondria make ATP")
    await post(room, owner.obj, "Correct!")
    await delete(room, first, owner.obj)
    live = await listener.frames_through(3)

    events = (await sync_to_async(api.get)(f"/api/rooms/{room.name}/events?since=0")).body["events"]
    assert [frame["type"] for frame in live] == ["message.created", "message.created", "message.deleted"]
    assert live[0]["message"]["text"] == "Mitochondria make ATP"
    assert live[1:] == events[1:]
    assert live[2] == {"type": "message.deleted", "seq": 3, "message_id": first.pk}


async def test_a_live_created_frame_matches_the_events_endpoint_exactly(listen, api, room, participant):
    listener = await listen(room_path(room))
    await listener.next_frame()

    await post(room, participant.obj, "Ribosomes build proteins")
    live = await listener.frames_through(1)

    events = (await sync_to_async(api.get)(f"/api/rooms/{room.name}/events?since=0")).body["events"]
    assert live == events
    assert set(live[0]["message"]) == {
        "id",
        "seq",
        "nickname",
        "text",
        "created_at",
        "client_id",
        "participant_id",
        "color",
        "role",
        "status",
        "anonymous",
        "upvotes",
        "pinned",
        "answered",
    }


async def test_since_replays_every_later_event_in_order_then_goes_live(listen, room, participant):
    for number in range(1, 6):
        await post(room, participant.obj, f"message {number}")

    listener = await listen(room_path(room, since=2))
    hello = await listener.next_frame()
    replay = await listener.frames_through(5)
    await post(room, participant.obj, "message 6")
    live = await listener.frames_through(6)

    assert hello["seq"] == 5
    assert [frame["message"]["text"] for frame in replay] == ["message 3", "message 4", "message 5"]
    assert [frame["message"]["text"] for frame in live] == ["message 6"]
    assert listener.event_seqs == [3, 4, 5, 6]


async def test_since_at_the_head_sends_hello_then_live_events_only(listen, room, participant):
    await post(room, participant.obj, "old")

    listener = await listen(room_path(room, since=1))
    hello = await listener.next_frame()
    await post(room, participant.obj, "new")
    live = await listener.frames_through(2)

    assert hello["seq"] == 1
    assert [frame["message"]["text"] for frame in live] == ["new"]


async def test_no_since_sends_hello_then_live_events_only(listen, room, participant):
    await post(room, participant.obj, "old")

    listener = await listen(room_path(room))
    await listener.next_frame()
    await post(room, participant.obj, "new")

    assert [frame["seq"] for frame in await listener.frames_through(2)] == [2]


async def test_a_replayed_deleted_message_carries_no_text_or_nickname(listen, make_participant, room, owner):
    whisperer = await sync_to_async(make_participant)(room, "whisperer")
    secret = await post(room, whisperer.obj, "the exam answers are on my desk")
    await post(room, owner.obj, "Please keep it on topic.")
    await delete(room, secret, owner.obj)

    listener = await listen(room_path(room, since=0))
    await listener.next_frame()
    replay = await listener.frames_through(3)

    assert replay[0] == {
        "type": "message.created",
        "seq": 1,
        "message": {"id": secret.pk, "seq": 1, "deleted": True},
    }
    assert replay[1]["message"]["text"] == "Please keep it on topic."
    assert replay[2] == {"type": "message.deleted", "seq": 3, "message_id": secret.pk}
    for text in listener.texts:
        assert "exam answers" not in text
        assert "whisperer" not in text


async def test_since_further_behind_than_the_replay_limit_resets_then_goes_live(listen, settings, room, participant):
    settings.STREAM_REPLAY_LIMIT = 3
    for number in range(5):
        await post(room, participant.obj, f"message {number}")

    listener = await listen(room_path(room, since=1))
    hello = await listener.next_frame()
    reset = await listener.next_frame()
    await post(room, participant.obj, "after the reset")
    live = await listener.frames_through(6)

    assert hello["seq"] == 5
    assert reset == {"type": "reset", "seq": 5}
    assert [(frame["seq"], frame["message"]["text"]) for frame in live] == [(6, "after the reset")]


async def test_since_exactly_at_the_replay_limit_is_replayed(listen, settings, room, participant):
    settings.STREAM_REPLAY_LIMIT = 3
    for number in range(5):
        await post(room, participant.obj, f"message {number}")

    listener = await listen(room_path(room, since=2))
    await listener.next_frame()

    assert [frame["seq"] for frame in await listener.frames_through(5)] == [3, 4, 5]


async def test_since_ahead_of_the_head_resets_then_goes_live(listen, room, participant):
    await post(room, participant.obj, "only message")

    listener = await listen(room_path(room, since=99))
    hello = await listener.next_frame()
    reset = await listener.next_frame()
    await post(room, participant.obj, "next")
    live = await listener.frames_through(2)

    assert hello["seq"] == 1
    assert reset == {"type": "reset", "seq": 1}
    assert [frame["seq"] for frame in live] == [2]


@pytest.mark.parametrize("since", ["-1", "abc", "1.5", "", "%E2%91%A0", "1e3", "9" * 31, "9" * 5000])
async def test_a_since_that_is_not_a_whole_number_closes_with_4400(listen, room, since, caplog):
    listener = await listen(room_path(room, since=since))

    assert await listener.close_code() == 4400
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_since_beyond_any_possible_seq_resets(listen, room, participant):
    await post(room, participant.obj, "only message")

    listener = await listen(room_path(room, since="9" * 30))

    assert (await listener.next_frame())["type"] == "hello"
    assert await listener.next_frame() == {"type": "reset", "seq": 1}


async def test_an_unknown_room_closes_with_4404(listen, room):
    listener = await listen("/ws/rooms/no-such-room/")

    assert await listener.close_code() == 4404


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]


@pytest.mark.parametrize(
    "name",
    [
        # PostgreSQL refuses a NUL in a query parameter, so this one must never reach it.
        pytest.param("bio%00logy", id="nul"),
        pytest.param("b" * 41, id="too-long"),
        pytest.param("%E2%80%AEbiology", id="bidi-override"),
    ],
)
async def test_a_name_no_room_can_have_closes_with_4404_and_logs_no_error(listen, caplog, name):
    listener = await listen(f"/ws/rooms/{name}/")

    assert await listener.close_code() == 4404
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/rooms/", "/ws/rooms/biology/extra/", "/"])
async def test_a_path_that_is_no_room_is_refused_at_the_handshake_and_logs_no_error(caplog, path):
    listener = Listener(path)

    connected, _ = await listener.communicator.connect(timeout=FRAME_TIMEOUT)

    assert not connected
    assert errors_logged(caplog) == []


async def test_text_sent_by_the_client_is_ignored(listen, room, participant):
    listener = await listen(room_path(room))
    await listener.next_frame()

    await listener.send_text('{"type":"message.created","text":"forged"}')
    await listener.send_text("not even json")
    await listener.communicator.send_to(bytes_data=b"\x00\x01")
    await post(room, participant.obj, "still streaming")

    assert [frame["message"]["text"] for frame in await listener.frames_through(1)] == ["still streaming"]
    assert (await sync_to_async(room.messages.count)()) == 1

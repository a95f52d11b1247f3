"""What each socket is sent of an anonymous room and of the review queue: its own audience's text, or a skip."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from rooms import services
from streaming.tests.sockets import Listener, room_path

pytestmark = pytest.mark.django_db(transaction=True)


def with_token(path: str, token: str) -> str:
    return path + ("&" if "?" in path else "?") + f"token={token}"


@database_sync_to_async
def act(service: str, **kwargs):
    return getattr(services, service)(**kwargs)


async def started(listen, path: str) -> Listener:
    listener = await listen(path)
    assert (await listener.next_frame())["type"] == "hello"
    return listener


@pytest.fixture
def people(room, owner, participant, make_participant):
    """The author "secret-sam", a classmate, and their tokens."""
    author = make_participant(room, "secret-sam")
    return {"author": author, "classmate": participant, "owner": owner}


async def test_an_anonymous_rooms_post_names_its_author_only_to_the_moderators_and_the_author(listen, room, people):
    await act("room_update", room=room, changes={"anonymous": True})
    author = people["author"]
    sockets = {
        "owner": await started(listen, with_token(room_path(room), people["owner"].token)),
        "author": await started(listen, with_token(room_path(room), author.token)),
        "classmate": await started(listen, with_token(room_path(room), people["classmate"].token)),
        "visitor": await started(listen, room_path(room)),
    }

    await act("message_post", room=room, author=author.obj, text="Can I resit?")
    frames = {name: (await socket.frames_through(2))[-1] for name, socket in sockets.items()}

    shown = {name: (frame["message"]["nickname"], frame["message"]["participant_id"]) for name, frame in frames.items()}
    assert shown == {
        "owner": ("secret-sam", author.obj.pk),
        "author": ("secret-sam", author.obj.pk),
        "classmate": ("Anonymous", None),
        "visitor": ("Anonymous", None),
    }
    for name in ("classmate", "visitor"):
        text = sockets[name].texts[-1]
        assert "secret-sam" not in text
        assert author.obj.color not in text
        assert f'"participant_id":{author.obj.pk}' not in text


async def test_a_replay_is_redacted_as_the_live_stream_was(listen, room, people):
    await act("room_update", room=room, changes={"anonymous": True})
    await act("message_post", room=room, author=people["author"].obj, text="Can I resit?")

    classmate = await started(listen, with_token(room_path(room, since=0), people["classmate"].token))
    teacher = await started(listen, with_token(room_path(room, since=0), people["owner"].token))

    assert (await classmate.frames_through(2))[-1]["message"]["nickname"] == "Anonymous"
    assert (await teacher.frames_through(2))[-1]["message"]["nickname"] == "secret-sam"
    assert not any("secret-sam" in text for text in classmate.texts)


async def test_a_held_post_reaches_only_its_author_and_the_moderators_until_approved(listen, room, people):
    await act("room_update", room=room, changes={"review": True})
    owner_socket = await started(listen, with_token(room_path(room), people["owner"].token))
    author_socket = await started(listen, with_token(room_path(room), people["author"].token))
    classmate = await started(listen, with_token(room_path(room), people["classmate"].token))
    visitor = await started(listen, room_path(room))

    held, _ = await act("message_post", room=room, author=people["author"].obj, text="a held question")

    for socket in (owner_socket, author_socket):
        frame = (await socket.frames_through(2))[-1]
        assert (frame["type"], frame["message"]["text"], frame["message"]["status"]) == (
            "message.held",
            "a held question",
            "held",
        )
    for socket in (classmate, visitor):
        assert (await socket.frames_through(2))[-1] == {"type": "skip", "seq": 2}
        assert "a held question" not in json.dumps(socket.frames)

    await act("message_approve", room=room, message=held)

    for socket in (owner_socket, author_socket, classmate, visitor):
        frame = (await socket.frames_through(3))[-1]
        assert (frame["type"], frame["message"]["text"], frame["message"]["seq"]) == (
            "message.created",
            "a held question",
            3,
        )


async def test_a_rejection_reaches_only_the_author_and_the_moderators(listen, room, people):
    await act("room_update", room=room, changes={"review": True})
    held, _ = await act("message_post", room=room, author=people["author"].obj, text="no")
    author_socket = await started(listen, with_token(room_path(room, since=2), people["author"].token))
    classmate = await started(listen, with_token(room_path(room, since=2), people["classmate"].token))

    await act("message_reject", room=room, message=held)

    assert (await author_socket.frames_through(3)) == [{"type": "message.rejected", "seq": 3, "message_id": held.pk}]
    assert (await classmate.frames_through(3)) == [{"type": "skip", "seq": 3}]


async def test_a_masked_post_shows_its_words_only_to_the_moderators(listen, room, people):
    await act("room_update", room=room, changes={"word_filter": "mask"})
    teacher = await started(listen, with_token(room_path(room), people["owner"].token))
    classmate = await started(listen, with_token(room_path(room), people["classmate"].token))

    await act("message_post", room=room, author=people["author"].obj, text="what the sh1t")

    taught = (await teacher.frames_through(2))[-1]["message"]
    seen = (await classmate.frames_through(2))[-1]["message"]
    assert (taught["text"], taught["masked_text"], taught["filtered"]) == ("what the sh1t", "what the ****", True)
    assert seen["text"] == "what the ****"
    assert "sh1t" not in classmate.texts[-1]


async def test_a_restored_anonymous_post_names_its_author_only_to_the_moderators_and_the_author(listen, room, people):
    await act("room_update", room=room, changes={"anonymous": True})
    author = people["author"]
    message, _ = await act("message_post", room=room, author=author.obj, text="Can I resit?")
    await act("message_delete", room=room, message=message, deleted_by=people["owner"].obj)
    sockets = {
        "owner": await started(listen, with_token(room_path(room), people["owner"].token)),
        "author": await started(listen, with_token(room_path(room), author.token)),
        "visitor": await started(listen, room_path(room)),
    }

    await act("message_restore", room=room, message=message)
    frames = {name: (await socket.frames_through(4))[-1] for name, socket in sockets.items()}

    assert {frame["type"] for frame in frames.values()} == {"message.restored"}
    shown = {name: frame["message"]["nickname"] for name, frame in frames.items()}
    assert shown == {"owner": "secret-sam", "author": "secret-sam", "visitor": "Anonymous"}
    assert "secret-sam" not in sockets["visitor"].texts[-1]

"""Teacher tools over the room websocket: live events, kicked sockets, and private rooms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from conftest import ApiClient
from rooms import services
from rooms.models import Participant
from streaming.tests.sockets import FRAME_TIMEOUT, Listener, post, room_path

pytestmark = pytest.mark.django_db(transaction=True)


async def open_as(listen, path: str, *, token: str | None = None, cookie: str | None = None) -> Listener:
    """A socket opened with a `?token=`, or with a browser's cookie, or with neither."""
    if token is not None:
        path += ("&" if "?" in path else "?") + f"token={token}"
    headers = [(b"host", b"testserver")]
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    return await listen(path, headers=headers)


@database_sync_to_async
def act(service, **kwargs: Any) -> Any:
    return getattr(services, service)(**kwargs)


async def events_endpoint(room, since: int = 0, token: str | None = None) -> list[dict]:
    response = await sync_to_async(ApiClient().get)(f"/api/rooms/{room.name}/events?since={since}", token=token)
    return response.body["events"]


async def hello(listener: Listener) -> dict:
    frame = await listener.next_frame()
    assert frame["type"] == "hello", frame
    return frame


async def still_open(listener: Listener, room, author) -> None:
    """The socket keeps receiving: a new post reaches it."""
    message = await post(room, author, "are you still there?")
    frames = await listener.frames_through(message.seq)
    assert frames[-1]["message"]["id"] == message.pk


async def kicked_with(listener: Listener) -> tuple[list[str], int]:
    """The types of the frames a socket got before it was closed, and the close code."""
    types = []
    while True:
        output = await listener.communicator.receive_output(timeout=FRAME_TIMEOUT)
        if output["type"] == "websocket.close":
            return types, output.get("code", 1000)
        types.append(json.loads(output["text"])["type"])


def session_cookie(client: Client) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class TestLiveEvents:
    async def test_a_room_change_arrives_live_as_room_updated_in_the_events_endpoints_shape(self, listen, room, owner):
        listener = await open_as(listen, room_path(room))
        await hello(listener)

        await act("room_update", room=room, changes={"topic": "Mitosis", "paused": True})
        live = await listener.frames_through(1)

        assert live == await events_endpoint(room)
        assert live[0]["type"] == "room.updated"
        assert (live[0]["room"]["topic"], live[0]["room"]["paused"]) == ("Mitosis", True)
        room_json = (await sync_to_async(ApiClient().get)(f"/api/rooms/{room.name}")).body
        # Everything the API says of the room but its URL, which depends on the Host asked.
        assert live[0]["room"] == {key: value for key, value in room_json.items() if key != "url"}

    async def test_a_mute_arrives_live_as_participant_updated_to_the_teachers_and_the_muted(
        self, listen, room, owner, participant
    ):
        teacher = await open_as(listen, room_path(room), token=owner.token)
        muted = await open_as(listen, room_path(room), token=participant.token)
        public = await open_as(listen, room_path(room))
        for listener in (teacher, muted, public):
            await hello(listener)

        await act("participant_mute", room=room, participant=participant.obj, muted=True)
        await act("participant_mute", room=room, participant=participant.obj, muted=False)

        live = await teacher.frames_through(2)
        assert live == await events_endpoint(room, token=owner.token)
        assert [(frame["type"], frame["participant"]["muted"]) for frame in live] == [
            ("participant.updated", True),
            ("participant.updated", False),
        ]
        assert live[0]["participant"]["id"] == participant.obj.pk
        assert await muted.frames_through(2) == live
        assert await public.frames_through(2) == [{"type": "skip", "seq": 1}, {"type": "skip", "seq": 2}]

    async def test_reports_arrive_live_without_their_details(self, listen, room, owner, participant):
        message = await post(room, participant.obj, "something mean")
        listener = await open_as(listen, room_path(room, since=1))
        await hello(listener)

        report, _ = await act("report_create", room=room, reporter=participant.obj, message=message, reason="mean")
        await act("report_resolve", room=room, report=report, action="delete", resolved_by=owner.obj)
        live = await listener.frames_through(4)

        assert live == await events_endpoint(room, since=1)
        assert live == [
            {"type": "report.created", "seq": 2, "report_id": report.pk, "message_id": message.pk},
            {"type": "message.deleted", "seq": 3, "message_id": message.pk},
            {
                "type": "report.resolved",
                "seq": 4,
                "report_id": report.pk,
                "message_id": message.pk,
                "resolution": "deleted",
            },
        ]
        assert "mean" not in str(live)

    async def test_a_dismissal_arrives_live(self, listen, room, owner, participant):
        message = await post(room, participant.obj, "borderline")
        report, _ = await act("report_create", room=room, reporter=participant.obj, message=message)
        listener = await open_as(listen, room_path(room))
        await hello(listener)

        await act("report_resolve", room=room, report=report, action="dismiss", resolved_by=owner.obj)

        assert (await listener.frames_through(3))[0]["resolution"] == "dismissed"

    async def test_a_resuming_socket_replays_every_new_kind_of_event_as_the_endpoint_does(
        self, listen, room, owner, participant
    ):
        message = await post(room, participant.obj, "hi")
        await act("room_update", room=room, changes={"slow_mode_seconds": 10})
        await act("participant_mute", room=room, participant=participant.obj, muted=True)
        report, _ = await act("report_create", room=room, reporter=participant.obj, message=message)
        await act("report_resolve", room=room, report=report, action="dismiss", resolved_by=owner.obj)

        listener = await open_as(listen, room_path(room, since=0), token=owner.token)
        await hello(listener)
        replay = await listener.frames_through(5)

        assert replay == await events_endpoint(room, token=owner.token)
        assert [frame["type"] for frame in replay] == [
            "message.created",
            "room.updated",
            "participant.updated",
            "report.created",
            "report.resolved",
        ]


class TestRoomDeleted:
    async def test_every_socket_on_a_deleted_room_is_closed_with_4410(self, listen, room, owner, participant):
        sockets = [
            await open_as(listen, room_path(room)),
            await open_as(listen, room_path(room), token=participant.token),
            await open_as(listen, room_path(room), token=owner.token),
        ]
        for listener in sockets:
            await hello(listener)

        await act("room_delete", room=room)

        assert [await listener.close_code() for listener in sockets] == [4410, 4410, 4410]

    async def test_other_rooms_sockets_stay_open(self, listen, room, owner, make_participant):
        elsewhere = await sync_to_async(services.room_create)(owner=owner.obj, name="chemistry")
        kim = await sync_to_async(make_participant)(elsewhere, "kim")
        listener = await open_as(listen, room_path(elsewhere))
        await hello(listener)

        await act("room_delete", room=room)

        await still_open(listener, elsewhere, kim.obj)


class TestPasswordChange:
    async def test_setting_a_password_closes_every_socket_but_the_teachers_with_4401(
        self, listen, room, owner, moderator, participant
    ):
        anonymous = await open_as(listen, room_path(room))
        student = await open_as(listen, room_path(room), token=participant.token)
        teacher = await open_as(listen, room_path(room), token=owner.token)
        helper = await open_as(listen, room_path(room), token=moderator.token)
        for listener in (anonymous, student, teacher, helper):
            await hello(listener)

        await act("room_update", room=room, changes={"password": "mitosis"})

        # They are told the room went private, so a page can ask for the password.
        assert await kicked_with(anonymous) == (["room.updated"], 4401)
        assert await kicked_with(student) == (["room.updated"], 4401)
        for listener in (teacher, helper):
            update = (await listener.frames_through(1))[0]
            assert (update["type"], update["room"]["is_private"]) == ("room.updated", True)
            await still_open(listener, room, owner.obj)

    async def test_a_teacher_signed_in_through_the_browser_keeps_their_socket(self, listen, room, owner):
        browser = Client()
        await sync_to_async(browser.force_login)(owner.obj)
        teacher = await open_as(listen, room_path(room), cookie=session_cookie(browser))
        await hello(teacher)

        await act("room_update", room=room, changes={"password": "mitosis"})

        assert (await teacher.frames_through(1))[0]["type"] == "room.updated"
        await still_open(teacher, room, owner.obj)

    async def test_changing_the_password_closes_the_sockets_of_those_who_joined_with_the_old_one(
        self, listen, room, owner
    ):
        await act("room_update", room=room, changes={"password": "mitosis"})
        joined = await sync_to_async(ApiClient().post)(
            f"/api/rooms/{room.name}/join", {"nickname": "sam", "password": "mitosis"}
        )
        student = await open_as(listen, room_path(room), token=joined.body["token"])
        await hello(student)

        await act("room_update", room=room, changes={"password": "meiosis"})

        assert await kicked_with(student) == (["room.updated"], 4401)

    async def test_clearing_the_password_closes_nobody(self, listen, room, owner):
        await act("room_update", room=room, changes={"password": "mitosis"})
        joined = await sync_to_async(ApiClient().post)(
            f"/api/rooms/{room.name}/join", {"nickname": "sam", "password": "mitosis"}
        )
        student = await open_as(listen, room_path(room), token=joined.body["token"])
        await hello(student)

        await act("room_update", room=room, changes={"password": None})

        update = (await student.frames_through(2))[0]
        assert (update["type"], update["room"]["is_private"]) == ("room.updated", False)
        await still_open(student, room, owner.obj)

    async def test_other_room_changes_close_nobody(self, listen, room, owner, participant):
        student = await open_as(listen, room_path(room), token=participant.token)
        await hello(student)

        await act("room_update", room=room, changes={"paused": True})

        assert (await student.frames_through(1))[0]["type"] == "room.updated"
        await still_open(student, room, owner.obj)


class TestPrivateRoomConnect:
    @pytest.fixture
    async def private(self, room, participant):
        # `participant` joined before the password, so the password retired them.
        await act("room_update", room=room, changes={"password": "mitosis"})
        return room

    async def join(self, room, client: Client | None = None) -> tuple[str, Client]:
        client = client or Client()
        response = await sync_to_async(ApiClient(client).post)(
            f"/api/rooms/{room.name}/join", {"nickname": "kim", "password": "mitosis"}
        )
        assert response.status == 201
        return response.body["token"], client

    async def test_a_stranger_is_accepted_then_closed_with_4401_before_any_frame(self, listen, private):
        listener = await open_as(listen, room_path(private))

        assert await listener.close_code() == 4401
        assert listener.frames == []

    @pytest.mark.parametrize("token", ["not-a-token", ""])
    async def test_an_unknown_token_is_closed_with_4401(self, listen, private, token):
        assert await (await open_as(listen, room_path(private), token=token)).close_code() == 4401

    async def test_a_participant_retired_by_the_password_is_closed_with_4401(self, listen, private, participant):
        assert await (await open_as(listen, room_path(private), token=participant.token)).close_code() == 4401

    async def test_another_teacher_is_closed_with_4401(self, listen, private, other_teacher):
        assert await (await open_as(listen, room_path(private), token=other_teacher.token)).close_code() == 4401

    async def test_a_participant_who_joined_with_the_password_streams_with_their_token(self, listen, private, owner):
        token, _ = await self.join(private)

        listener = await open_as(listen, room_path(private, since=0), token=token)

        assert (await hello(listener))["room"]["is_private"] is True
        await still_open(listener, private, owner.obj)

    async def test_a_browser_that_joined_streams_with_its_session_cookie(self, listen, private, owner):
        _, browser = await self.join(private)

        listener = await open_as(listen, room_path(private), cookie=session_cookie(browser))

        await hello(listener)
        await still_open(listener, private, owner.obj)

    @pytest.mark.parametrize("persona", ["owner", "moderator"])
    async def test_the_rooms_teachers_stream_with_a_token(self, listen, token_of, private, persona):
        await hello(await open_as(listen, room_path(private), token=token_of(persona)))

    async def test_a_teacher_streams_with_their_browser_session(self, listen, private, owner):
        browser = Client()
        await sync_to_async(browser.force_login)(owner.obj)

        await hello(await open_as(listen, room_path(private), cookie=session_cookie(browser)))

    async def test_a_public_room_needs_no_credentials_and_ignores_bad_ones(self, listen, room):
        await hello(await open_as(listen, room_path(room), token="not-a-token"))


def browser_cookies(client: Client) -> str:
    """Every cookie a browser holds (its session and its browser key), as its socket's handshake sends them."""
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


async def signed_in_browser(teacher) -> Client:
    browser = Client()
    await sync_to_async(browser.force_login)(teacher)
    return browser


class TestParticipantRemoved:
    async def test_removing_a_participant_closes_their_sockets_with_4403_and_no_one_elses(
        self, listen, room, owner, participant, make_participant
    ):
        kim = await sync_to_async(make_participant)(room, "kim")
        removed = await open_as(listen, room_path(room), token=participant.token)
        classmate = await open_as(listen, room_path(room), token=kim.token)
        reader = await open_as(listen, room_path(room))
        for listener in (removed, classmate, reader):
            await hello(listener)

        await act("participant_block", room=room, participant=participant.obj, blocked=True)

        assert await kicked_with(removed) == (["participant.updated"], 4403)
        for listener in (classmate, reader):
            # Who was removed is the teachers' business: classmates' streams only move on.
            assert await listener.frames_through(1) == [{"type": "skip", "seq": 1}]
            await still_open(listener, room, owner.obj)

    async def test_a_browser_is_found_by_its_key_even_on_a_socket_opened_before_it_joined(self, listen, room, owner):
        browser = Client()
        # The page gives the browser its key, then opens the socket, then the student joins.
        await sync_to_async(browser.get)(f"/{room.name}/")
        socket = await open_as(listen, room_path(room), cookie=browser_cookies(browser))
        await hello(socket)
        joined = await sync_to_async(ApiClient(browser).post)(f"/api/rooms/{room.name}/join", {"nickname": "kim"})
        kim = await database_sync_to_async(Participant.objects.get)(pk=joined.body["participant"]["id"])

        await act("participant_block", room=room, participant=kim, blocked=True)

        # Opened before the join, it reads as the public (a skip), and is still found and closed.
        assert await kicked_with(socket) == (["skip"], 4403)

    async def test_a_browser_from_before_keys_is_found_by_its_session(self, listen, room, owner):
        browser = Client()
        joined = await sync_to_async(ApiClient(browser).post)(f"/api/rooms/{room.name}/join", {"nickname": "kim"})
        kim = await database_sync_to_async(Participant.objects.get)(pk=joined.body["participant"]["id"])
        socket = await open_as(listen, room_path(room), cookie=session_cookie(browser))
        await hello(socket)

        await act("participant_block", room=room, participant=kim, blocked=True)

        assert await kicked_with(socket) == (["participant.updated"], 4403)


class TestLostAccess:
    @pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
    async def test_removing_a_co_moderator_closes_their_sockets_with_4401(
        self, listen, room, owner, moderator, participant, private
    ):
        if private:
            await act("room_update", room=room, changes={"password": "mitosis"})
        browser = await signed_in_browser(moderator.obj)
        by_token = await open_as(listen, room_path(room), token=moderator.token)
        by_session = await open_as(listen, room_path(room), cookie=session_cookie(browser))
        the_owner = await open_as(listen, room_path(room), token=owner.token)
        for listener in (by_token, by_session, the_owner):
            await hello(listener)

        await act("moderator_remove", room=room, email=moderator.obj.email)

        assert await by_token.close_code() == 4401
        assert await by_session.close_code() == 4401
        await still_open(the_owner, room, owner.obj)

    async def test_removing_a_co_moderator_leaves_the_other_rooms_they_run_alone(self, listen, room, owner, moderator):
        elsewhere = await sync_to_async(services.room_create)(owner=moderator.obj, name="chemistry")
        socket = await open_as(listen, room_path(elsewhere), token=moderator.token)
        await hello(socket)

        await act("moderator_remove", room=room, email=moderator.obj.email)

        await still_open(socket, elsewhere, moderator.obj)

    @pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
    async def test_a_teacher_who_signs_out_has_that_browsers_sockets_closed_with_4401(
        self, listen, room, owner, participant, private
    ):
        if private:
            await act("room_update", room=room, changes={"password": "mitosis"})
        signing_out, other_browser = await signed_in_browser(owner.obj), await signed_in_browser(owner.obj)
        leaving = await open_as(listen, room_path(room), cookie=session_cookie(signing_out))
        staying = await open_as(listen, room_path(room), cookie=session_cookie(other_browser))
        by_token = await open_as(listen, room_path(room), token=owner.token)
        for listener in (leaving, staying, by_token):
            await hello(listener)

        response = await sync_to_async(signing_out.post)("/accounts/logout/")

        assert response.status_code == 302
        assert await leaving.close_code() == 4401
        for listener in (staying, by_token):
            await still_open(listener, room, owner.obj)

    async def test_signing_out_closes_the_sockets_of_private_rooms_the_browser_joined(
        self, listen, room, owner, other_teacher
    ):
        await act("room_update", room=room, changes={"password": "mitosis"})
        browser = await signed_in_browser(other_teacher.obj)
        await sync_to_async(ApiClient(browser).post)(
            f"/api/rooms/{room.name}/join", {"nickname": "kim", "password": "mitosis"}
        )
        socket = await open_as(listen, room_path(room), cookie=session_cookie(browser))
        await hello(socket)

        await sync_to_async(browser.post)("/accounts/logout/")

        assert await socket.close_code() == 4401

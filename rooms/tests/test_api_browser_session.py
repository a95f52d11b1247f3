"""Browsers call the API with the session cookie, so their writes must pass CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import ApiClient
from rooms import services
from rooms.models import Message, Participant, Room
from tests.assertions import error_of

# What the page's script reads from the csrftoken cookie and echoes in a header.
CSRF_SECRET = "k" * 32


@pytest.fixture
def browser(db) -> ApiClient:
    """A browser: keeps cookies, and Django checks its CSRF token as it would in production."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF_SECRET
    return ApiClient(client)


def with_csrf(**extra):
    return {"HTTP_X_CSRFTOKEN": CSRF_SECRET, **extra}


class TestTeacherSession:
    @pytest.fixture
    def signed_in(self, browser, owner):
        browser.client.force_login(owner.obj)
        return browser

    def test_a_cookie_write_without_the_csrf_token_returns_403(self, signed_in):
        response = signed_in.post("/api/rooms", {"name": "physics"})

        assert error_of(response) == (403, "csrf_failed")
        assert not Room.objects.filter(name="physics").exists()

    def test_a_cookie_write_with_a_wrong_csrf_token_returns_403(self, signed_in):
        response = signed_in.post("/api/rooms", {"name": "physics"}, HTTP_X_CSRFTOKEN="w" * 32)

        assert error_of(response) == (403, "csrf_failed")

    def test_a_cookie_write_with_the_csrf_token_works(self, signed_in, owner):
        response = signed_in.post("/api/rooms", {"name": "physics"}, **with_csrf())

        assert response.status == 201
        assert Room.objects.get(name="physics").owner == owner.obj

    def test_a_cookie_write_from_a_foreign_origin_returns_403_even_with_the_token(self, signed_in):
        response = signed_in.post("/api/rooms", {"name": "physics"}, **with_csrf(HTTP_ORIGIN="https://evil.example"))

        assert error_of(response) == (403, "csrf_failed")

    def test_the_owner_deletes_through_the_session_with_csrf(self, signed_in, room, participant):
        message = services.message_post(room=room, author=participant.obj, text="hi")[0]
        url = f"/api/rooms/biology/messages/{message.pk}"

        assert error_of(signed_in.delete(url)) == (403, "csrf_failed")
        assert signed_in.delete(url, **with_csrf()).status == 204

    def test_the_owner_posts_through_the_session_with_csrf(self, signed_in, room):
        response = signed_in.post("/api/rooms/biology/messages", {"text": "Welcome"}, **with_csrf())

        assert response.status == 201
        assert response.body["message"]["nickname"] == "owner"

    def test_reads_need_no_csrf_token(self, signed_in, room):
        assert signed_in.get("/api/rooms/biology").status == 200
        assert signed_in.get("/api/rooms/biology/messages").status == 200

    def test_a_bearer_write_needs_no_csrf_token_even_with_a_session_cookie(self, signed_in, other_teacher):
        response = signed_in.post("/api/rooms", {"name": "physics"}, token=other_teacher.token)

        assert response.status == 201
        assert Room.objects.get(name="physics").owner == other_teacher.obj

    def test_a_huge_form_body_with_the_session_cookie_is_refused_unread(self, signed_in, settings):
        form = {"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}

        response = signed_in.client.post("/api/rooms", form, headers={"X-CSRFToken": CSRF_SECRET})

        assert response.status_code == 415
        assert response.json()["error"]["code"] == "unsupported_media_type"
        assert not Room.objects.exists()

    def test_a_cross_site_text_plain_form_to_join_neither_joins_nor_signs_the_teacher_out(self, browser, owner, room):
        browser.client.force_login(owner.obj)
        session_before = browser.client.cookies["sessionid"].value
        # A page elsewhere auto-submits <form enctype="text/plain">; Lax keeps
        # the session cookie off a cross-site POST, so none is sent.
        attacker = Client(enforce_csrf_checks=True)

        response = attacker.generic(
            "POST",
            "/api/rooms/biology/join",
            data='{"nickname": "x", "pad": "="}',
            content_type="text/plain",
            headers={"Origin": "https://evil.example"},
        )

        assert response.status_code in {403, 415}
        assert "sessionid" not in response.cookies
        assert not Participant.objects.exists()
        assert browser.client.cookies["sessionid"].value == session_before
        assert browser.get("/api/rooms").status == 200


def test_a_bearer_write_from_a_client_without_cookies_needs_no_csrf_token(browser, owner):
    response = browser.post("/api/rooms", {"name": "physics"}, token=owner.token)

    assert response.status == 201


class TestParticipantSession:
    def join(self, browser, nickname, **extra):
        return browser.post("/api/rooms/biology/join", {"nickname": nickname}, **extra)

    def test_a_first_join_needs_no_csrf_token(self, browser, room):
        response = self.join(browser, "Sam")

        assert response.status == 201

    def test_a_first_join_from_our_own_page_works(self, browser, room):
        response = self.join(browser, "Sam", HTTP_ORIGIN="http://testserver")

        assert response.status == 201

    @pytest.mark.parametrize(
        "headers",
        [
            pytest.param({"HTTP_ORIGIN": "https://evil.example"}, id="foreign-origin"),
            pytest.param({"HTTP_ORIGIN": "http://testserver:8080"}, id="our-host-on-another-port"),
            pytest.param({"HTTP_ORIGIN": "https://testserver"}, id="our-host-over-the-other-scheme"),
            pytest.param({"HTTP_ORIGIN": "null"}, id="opaque-origin"),
            pytest.param({"HTTP_REFERER": "https://evil.example/page"}, id="foreign-referer"),
        ],
    )
    def test_a_first_join_from_another_site_is_refused_and_sets_no_cookie(self, browser, room, headers):
        response = self.join(browser, "Sam", **headers)

        assert error_of(response) == (403, "csrf_failed")
        assert "sessionid" not in browser.client.cookies
        assert not Participant.objects.exists()

    def test_a_bearer_client_may_send_any_origin(self, browser, room, owner):
        response = browser.post(
            "/api/rooms", {"name": "physics"}, token=owner.token, HTTP_ORIGIN="https://tool.example"
        )

        assert response.status == 201

    def test_joining_twice_from_one_browser_keeps_the_participant_under_the_new_nickname(self, browser, room):
        first = self.join(browser, "Sam")

        again = self.join(browser, "Samira", **with_csrf())

        assert again.status == 200
        assert again.body["participant"] == {**first.body["participant"], "nickname": "Samira"}
        assert Participant.objects.count() == 1
        assert Participant.objects.get().nickname == "Samira"

    def test_a_rejoin_without_csrf_is_refused_and_changes_nothing(self, browser, room):
        self.join(browser, "Sam")

        response = self.join(browser, "Impostor")

        assert error_of(response) == (403, "csrf_failed")
        assert Participant.objects.get().nickname == "Sam"

    def test_a_rejoin_retires_the_earlier_token(self, browser, room):
        first = self.join(browser, "Sam")
        self.join(browser, "Samira", **with_csrf())

        response = ApiClient().post("/api/rooms/biology/messages", {"text": "hi"}, token=first.body["token"])

        assert error_of(response) == (401, "invalid_token")

    def test_another_browser_joining_is_another_participant(self, browser, room):
        first = self.join(browser, "Sam")
        other = Client(enforce_csrf_checks=True)

        second = ApiClient(other).post("/api/rooms/biology/join", {"nickname": "Alex"})

        assert second.status == 201
        assert second.body["participant"]["id"] != first.body["participant"]["id"]

    def test_the_session_participant_posts_without_a_bearer_token(self, browser, room):
        joined = self.join(browser, "Sam")

        response = browser.post("/api/rooms/biology/messages", {"text": "hello"}, **with_csrf())

        assert response.status == 201
        assert response.body["message"]["nickname"] == "Sam"
        assert Message.objects.get().participant_id == joined.body["participant"]["id"]

    def test_the_session_participant_posts_under_their_new_nickname_after_rejoining(self, browser, room):
        self.join(browser, "Sam")
        self.join(browser, "Samira", **with_csrf())

        response = browser.post("/api/rooms/biology/messages", {"text": "hello"}, **with_csrf())

        assert response.body["message"]["nickname"] == "Samira"

    def test_a_session_post_without_csrf_returns_403(self, browser, room):
        self.join(browser, "Sam")

        response = browser.post("/api/rooms/biology/messages", {"text": "hello"})

        assert error_of(response) == (403, "csrf_failed")
        assert not Message.objects.exists()

    def test_the_session_counts_only_in_the_room_joined(self, browser, room, owner):
        services.room_create(owner=owner.obj, name="chemistry")
        self.join(browser, "Sam")

        response = browser.post("/api/rooms/chemistry/messages", {"text": "hello"}, **with_csrf())

        assert error_of(response) == (403, "not_participant")

    def test_one_browser_holds_a_participant_in_each_room_it_joined(self, browser, room, owner):
        services.room_create(owner=owner.obj, name="chemistry")
        self.join(browser, "Sam")
        browser.post("/api/rooms/chemistry/join", {"nickname": "Sam C"}, **with_csrf())

        in_biology = browser.post("/api/rooms/biology/messages", {"text": "b"}, **with_csrf())
        in_chemistry = browser.post("/api/rooms/chemistry/messages", {"text": "c"}, **with_csrf())

        assert (in_biology.body["message"]["nickname"], in_chemistry.body["message"]["nickname"]) == ("Sam", "Sam C")

    def test_a_session_participant_cannot_delete(self, browser, room, participant):
        message = services.message_post(room=room, author=participant.obj, text="hi")[0]
        self.join(browser, "Alex")

        response = browser.delete(f"/api/rooms/biology/messages/{message.pk}", **with_csrf())

        assert error_of(response) == (403, "not_moderator")

"""POST /api/rooms/<name>/messages"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from rooms import services
from rooms.models import Message, RoomEvent
from rooms.payloads import timestamp
from rooms.tests.personas import ALLOWED, matrix
from tests.assertions import error_of

URL = "/api/rooms/biology/messages"
BIDI_CONTROLS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def stored_count() -> tuple[int, int]:
    return Message.objects.count(), RoomEvent.objects.count()


def test_a_participant_posts_and_gets_201_with_the_message_json(api, room, participant):
    client_id = str(uuid.uuid4())

    response = api.post(URL, {"text": "Mitochondria!", "client_id": client_id}, token=participant.token)

    assert response.status == 201
    message = Message.objects.get()
    assert response.body == {
        "message": {
            "id": message.pk,
            "seq": 1,
            "nickname": "sam",
            "text": "Mitochondria!",
            "created_at": timestamp(message.created_at),
            "client_id": client_id,
            "participant_id": participant.obj.pk,
            "color": participant.obj.color,
            "role": "participant",
            "status": "published",
            "anonymous": False,
            "upvotes": 0,
            "pinned": False,
            "answered": False,
            "upvoted": False,
        },
        "status": "published",
    }
    assert response.body["message"]["created_at"].endswith("Z")


def test_without_a_client_id_the_message_has_null_client_id(api, room, participant):
    response = api.post(URL, {"text": "hi"}, token=participant.token)

    assert response.status == 201
    assert response.body["message"]["client_id"] is None


def test_each_post_takes_the_next_seq(api, room, participant, owner):
    seqs = [
        api.post(URL, {"text": f"m{n}"}, token=token).body["message"]["seq"]
        for n, token in enumerate([participant.token, owner.token, participant.token])
    ]

    assert seqs == [1, 2, 3]
    assert api.get("/api/rooms/biology").body["seq"] == 3


def test_the_owner_posts_under_the_local_part_of_their_email(api, room, owner):
    response = api.post(URL, {"text": "Welcome, class"}, token=owner.token)

    assert response.status == 201
    assert response.body["message"]["nickname"] == "owner"


def test_an_owner_with_a_long_email_posts_under_its_first_thirty_two_characters(api, make_teacher):
    teacher = make_teacher("a-very-long-local-part-that-goes-on-and-on@school.example")
    services.room_create(owner=teacher.obj, name="biology")

    response = api.post(URL, {"text": "hi"}, token=teacher.token)

    assert response.status == 201
    assert response.body["message"]["nickname"] == "a-very-long-local-part-that-goes"


def test_another_teacher_gets_403(api, room, other_teacher):
    response = api.post(URL, {"text": "hi"}, token=other_teacher.token)

    assert error_of(response) == (403, "not_participant")
    assert stored_count() == (0, 0)


def test_a_participant_of_another_room_gets_403(api, room, owner, make_participant):
    elsewhere = services.room_create(owner=owner.obj, name="chemistry")
    outsider = make_participant(elsewhere, "kim")

    response = api.post(URL, {"text": "hi"}, token=outsider.token)

    assert error_of(response) == (403, "not_participant")
    assert stored_count() == (0, 0)


def test_no_token_gets_401(api, room):
    response = api.post(URL, {"text": "hi"})

    assert error_of(response) == (401, "unauthenticated")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz", "Bearer"])
def test_a_bad_authorization_header_gets_401(api, room, participant, header):
    response = api.post(URL, {"text": "hi"}, HTTP_AUTHORIZATION=header)

    assert error_of(response) == (401, "invalid_token")
    assert stored_count() == (0, 0)


def test_an_unknown_room_gets_404(api, room, participant):
    response = api.post("/api/rooms/chemistry/messages", {"text": "hi"}, token=participant.token)

    assert error_of(response) == (404, "room_not_found")


class TestText:
    def test_text_is_trimmed(self, api, room, participant):
        response = api.post(URL, {"text": "  \n hello \n  "}, token=participant.token)

        assert response.body["message"]["text"] == "hello"

    def test_crlf_becomes_lf(self, api, room, participant):
        response = api.post(URL, {"text": "line one\r\nline two"}, token=participant.token)

        assert response.body["message"]["text"] == "line one\nline two"

    def test_280_emoji_are_accepted(self, api, room, participant):
        text = "🧬" * 280

        response = api.post(URL, {"text": text}, token=participant.token)

        assert response.status == 201
        assert response.body["message"]["text"] == text

    def test_281_emoji_are_too_long(self, api, room, participant):
        response = api.post(URL, {"text": "🧬" * 281}, token=participant.token)

        assert error_of(response) == (400, "text_too_long")
        assert stored_count() == (0, 0)

    def test_281_characters_with_surrounding_spaces_trimmed_to_280_are_accepted(self, api, room, participant):
        response = api.post(URL, {"text": " " + "x" * 280 + " "}, token=participant.token)

        assert response.status == 201

    @pytest.mark.parametrize("text", ["", "   ", "\r\n"])
    def test_empty_text_returns_400(self, api, room, participant, text):
        response = api.post(URL, {"text": text}, token=participant.token)

        assert error_of(response) == (400, "invalid")
        assert response.body["error"]["field"] == "text"

    @pytest.mark.parametrize("char", ["\x00", "\x07", "\t", "\r", "\x1b", "\x7f", "\x9b"])
    def test_control_characters_other_than_newline_return_400(self, api, room, participant, char):
        response = api.post(URL, {"text": f"bad{char}text"}, token=participant.token)

        assert error_of(response) == (400, "invalid")
        assert stored_count() == (0, 0)

    @pytest.mark.parametrize("char", BIDI_CONTROLS)
    def test_bidi_controls_return_400(self, api, room, participant, char):
        response = api.post(URL, {"text": f"evil{char}txt.exe"}, token=participant.token)

        assert error_of(response) == (400, "invalid")
        assert stored_count() == (0, 0)

    @pytest.mark.parametrize("text", [5, None, True, ["hi"], {"text": "hi"}])
    def test_text_that_is_not_a_string_returns_400(self, api, room, participant, text):
        response = api.post(URL, {"text": text}, token=participant.token)

        assert error_of(response) == (400, "invalid")

    def test_missing_text_returns_400(self, api, room, participant):
        assert error_of(api.post(URL, {}, token=participant.token)) == (400, "invalid")


class TestClientId:
    def test_repeating_client_id_returns_original_with_200(self, api, room, participant):
        client_id = str(uuid.uuid4())
        first = api.post(URL, {"text": "original", "client_id": client_id}, token=participant.token)

        again = api.post(URL, {"text": "edited on retry", "client_id": client_id}, token=participant.token)

        assert again.status == 200
        assert again.body == first.body
        assert stored_count() == (1, 1)

    def test_repeating_client_id_with_unacceptable_text_still_returns_the_original(self, api, room, participant):
        client_id = str(uuid.uuid4())
        first = api.post(URL, {"text": "original", "client_id": client_id}, token=participant.token)

        again = api.post(URL, {"text": "", "client_id": client_id}, token=participant.token)

        assert (again.status, again.body) == (200, first.body)

    def test_a_client_id_is_the_same_key_in_any_letter_case(self, api, room, participant):
        client_id = str(uuid.uuid4())
        first = api.post(URL, {"text": "original", "client_id": client_id}, token=participant.token)

        again = api.post(URL, {"text": "original", "client_id": client_id.upper()}, token=participant.token)

        assert (again.status, again.body) == (200, first.body)

    def test_two_authors_may_use_the_same_client_id(self, api, room, participant, owner, make_participant):
        client_id = str(uuid.uuid4())
        kim = make_participant(room, "kim")

        responses = [
            api.post(URL, {"text": "same key", "client_id": client_id}, token=token)
            for token in (participant.token, kim.token, owner.token)
        ]

        assert [response.status for response in responses] == [201, 201, 201]
        assert [response.body["message"]["nickname"] for response in responses] == ["sam", "kim", "owner"]
        assert stored_count() == (3, 3)

    def test_a_retry_of_a_deleted_message_does_not_bring_it_back(self, api, room, participant, owner):
        client_id = str(uuid.uuid4())
        first = api.post(URL, {"text": "regret", "client_id": client_id}, token=participant.token)
        api.delete(f"{URL}/{first.body['message']['id']}", token=owner.token)

        again = api.post(URL, {"text": "regret", "client_id": client_id}, token=participant.token)

        assert again.status == 200
        assert again.body == {
            "message": {"id": first.body["message"]["id"], "seq": 1, "deleted": True},
            "status": "published",
        }
        assert stored_count() == (1, 2)

    @pytest.mark.parametrize("client_id", ["not-a-uuid", "", "1234", 42, ["a"], {"id": "x"}])
    def test_a_client_id_that_is_not_a_uuid_returns_400(self, api, room, participant, client_id):
        response = api.post(URL, {"text": "hi", "client_id": client_id}, token=participant.token)

        assert error_of(response) == (400, "invalid")
        assert response.body["error"]["field"] == "client_id"
        assert stored_count() == (0, 0)


class TestRateLimit:
    @pytest.fixture(autouse=True)
    def frozen_clock(self, clock):
        # The bucket refills with real time too: a slow run must not earn extra posts.
        clock.freeze()

    def post(self, api, persona, text="hi"):
        return api.post(URL, {"text": text}, token=persona.token)

    def test_a_burst_of_twenty_then_429_with_retry_after(self, api, room, participant):
        statuses = [self.post(api, participant).status for _ in range(20)]

        limited = self.post(api, participant)

        assert statuses == [201] * 20
        assert error_of(limited) == (429, "rate_limited")
        assert limited.body["error"]["retry_after"] == 1
        assert limited.headers["Retry-After"] == "1"
        assert stored_count() == (20, 20)

    def test_posting_is_allowed_again_after_retry_after(self, api, room, participant, clock):
        for _ in range(20):
            self.post(api, participant)
        retry_after = self.post(api, participant).body["error"]["retry_after"]

        clock.advance(timedelta(seconds=retry_after))

        assert self.post(api, participant).status == 201
        assert self.post(api, participant).status == 429

    def test_sixty_a_minute_keep_flowing_after_the_burst(self, api, room, participant, clock):
        for _ in range(20):
            self.post(api, participant)

        statuses = []
        for _ in range(60):
            clock.advance(timedelta(seconds=1))
            statuses.append(self.post(api, participant).status)

        assert statuses == [201] * 60

    def test_burst_and_rate_come_from_settings(self, api, room, participant, settings, clock):
        settings.POST_RATE_BURST = 3
        settings.POST_RATE_PER_MINUTE = 2

        statuses = [self.post(api, participant).status for _ in range(4)]
        limited = self.post(api, participant)

        assert statuses == [201, 201, 201, 429]
        assert limited.body["error"]["retry_after"] == 30
        assert limited.headers["Retry-After"] == "30"
        clock.advance(timedelta(seconds=29))
        assert self.post(api, participant).status == 429
        clock.advance(timedelta(seconds=1))
        assert self.post(api, participant).status == 201

    def test_one_participant_being_limited_does_not_limit_another(self, api, room, participant, make_participant):
        for _ in range(21):
            self.post(api, participant)

        assert self.post(api, make_participant(room, "kim")).status == 201

    def test_the_owner_is_never_limited(self, api, room, owner, settings):
        settings.POST_RATE_BURST = 2

        statuses = [self.post(api, owner, f"note {n}").status for n in range(30)]

        assert statuses == [201] * 30

    def test_a_limited_participant_can_still_retry_an_earlier_post(self, api, room, participant):
        client_id = str(uuid.uuid4())
        first = api.post(URL, {"text": "first", "client_id": client_id}, token=participant.token)
        for _ in range(19):
            self.post(api, participant)

        again = api.post(URL, {"text": "first", "client_id": client_id}, token=participant.token)

        assert (again.status, again.body) == (200, first.body)


@pytest.mark.parametrize(
    ("persona", "expected"),
    matrix(
        anonymous=(401, "unauthenticated"),
        participant=ALLOWED,
        muted=(403, "muted"),
        other_teacher=(403, "not_participant"),
        moderator=ALLOWED,
        owner=ALLOWED,
    ),
)
def test_who_may_post(api, room, token_of, persona, expected):
    response = api.post(URL, {"text": "hello"}, token=token_of(persona))

    if expected == ALLOWED:
        assert response.status == 201
    else:
        assert error_of(response) == expected
        assert not Message.objects.exists()


class TestAuthors:
    def test_a_participants_message_carries_their_id_color_and_role(self, api, room, participant):
        message = api.post(URL, {"text": "hi"}, token=participant.token).body["message"]

        assert (message["participant_id"], message["color"], message["role"]) == (
            participant.obj.pk,
            participant.obj.color,
            "participant",
        )

    @pytest.mark.parametrize(("persona", "nickname"), [("owner", "owner"), ("moderator", "helper")])
    def test_teachers_post_under_their_name_with_their_role_and_no_participant(
        self, api, room, token_of, persona, nickname
    ):
        message = api.post(URL, {"text": "Settle down"}, token=token_of(persona)).body["message"]

        assert (message["nickname"], message["role"], message["participant_id"], message["color"]) == (
            nickname,
            persona,
            None,
            None,
        )

    def test_a_moderator_keeps_the_role_they_posted_with_after_removal(self, api, room, owner, moderator):
        api.post(URL, {"text": "Settle down"}, token=moderator.token)
        api.delete("/api/rooms/biology/moderators/helper@school.example", token=owner.token)

        assert api.get(URL).body["messages"][0]["role"] == "moderator"
        assert error_of(api.post(URL, {"text": "again"}, token=moderator.token)) == (403, "not_participant")

    def test_a_moderator_is_never_rate_limited(self, api, room, moderator, settings):
        settings.POST_RATE_BURST = 2

        statuses = [api.post(URL, {"text": f"note {n}"}, token=moderator.token).status for n in range(10)]

        assert statuses == [201] * 10


class TestQueries:
    """A post asks who its author is once, then writes everything under the room lock."""

    @pytest.fixture
    def private(self, room):
        return services.room_update(room=room, changes={"password": "mitosis"})

    def test_a_participant_post_with_a_token_in_a_private_room(self, api, private, django_assert_num_queries):
        _, token = services.participant_join(room=private, nickname="sam", password="mitosis")

        # The token's participant, with its room and owner (no second read of
        # the room by name); then, in a savepoint: lock the room taking its seq
        # in one statement, lock the participant, spend their allowance, insert
        # the message and its event. No read for a retried client_id: the
        # insert would fail.
        with django_assert_num_queries(8):
            response = api.post(URL, {"text": "hi"}, token=token)

        assert response.status == 201

    def test_a_participant_post_from_a_browser_in_a_private_room(self, client, private, django_assert_num_queries):
        answer = client.post(
            "/api/rooms/biology/join", {"nickname": "sam", "password": "mitosis"}, content_type="application/json"
        )
        assert answer.status_code == 201

        # As with a token, but the session, the room by name, and then its
        # participant in the room, once; and the bucket that everyone from its
        # address shares, read and spent.
        with django_assert_num_queries(12):
            response = client.post(URL, {"text": "hi"}, content_type="application/json")

        assert response.status_code == 201


class TestClosedRoom:
    @pytest.fixture
    def quick(self, api, owner, participant):
        api.post("/api/rooms", {"name": "quick", "lifetime": "2h"}, token=owner.token)
        return "/api/rooms/quick/messages"

    def test_a_room_takes_posts_until_its_lifetime_ends_then_refuses_them(self, api, quick, owner, clock):
        clock.freeze()
        sam = api.post("/api/rooms/quick/join", {"nickname": "sam"}).body["token"]
        clock.advance(timedelta(hours=2) - timedelta(seconds=1))
        assert api.post(quick, {"text": "just in time"}, token=sam).status == 201

        clock.advance(timedelta(seconds=1))

        assert error_of(api.post(quick, {"text": "too late"}, token=sam)) == (403, "room_closed")
        assert error_of(api.post(quick, {"text": "too late"}, token=owner.token)) == (403, "room_closed")

    def test_a_closed_room_can_still_be_read(self, api, quick, clock):
        sam = api.post("/api/rooms/quick/join", {"nickname": "sam"}).body["token"]
        api.post(quick, {"text": "before the bell"}, token=sam)

        clock.advance(timedelta(hours=3))

        assert [message["text"] for message in api.get(quick).body["messages"]] == ["before the bell"]
        assert api.get("/api/rooms/quick").body["is_open"] is False

    @pytest.mark.parametrize("persona", ["participant", "moderator", "owner"])
    def test_nobody_posts_in_a_room_closed_by_a_teacher(self, api, room, owner, token_of, persona):
        api.patch("/api/rooms/biology", {"closed": True}, token=owner.token)

        assert error_of(api.post(URL, {"text": "hi"}, token=token_of(persona))) == (403, "room_closed")


class TestPausedRoom:
    @pytest.fixture(autouse=True)
    def paused(self, api, room, owner):
        api.patch("/api/rooms/biology", {"paused": True}, token=owner.token)

    def test_a_participant_gets_403_room_paused(self, api, participant):
        assert error_of(api.post(URL, {"text": "hi"}, token=participant.token)) == (403, "room_paused")
        assert not Message.objects.exists()

    @pytest.mark.parametrize("persona", ["moderator", "owner"])
    def test_teachers_still_post(self, api, token_of, persona):
        assert api.post(URL, {"text": "Quiet, please"}, token=token_of(persona)).status == 201

    def test_resuming_lets_participants_post_again(self, api, owner, participant):
        api.patch("/api/rooms/biology", {"paused": False}, token=owner.token)

        assert api.post(URL, {"text": "hi"}, token=participant.token).status == 201

    def test_a_retry_of_a_post_made_before_the_pause_still_gets_its_answer(self, api, owner, participant):
        api.patch("/api/rooms/biology", {"paused": False}, token=owner.token)
        client_id = str(uuid.uuid4())
        first = api.post(URL, {"text": "hi", "client_id": client_id}, token=participant.token)
        api.patch("/api/rooms/biology", {"paused": True}, token=owner.token)

        again = api.post(URL, {"text": "hi", "client_id": client_id}, token=participant.token)

        assert (again.status, again.body) == (200, first.body)


class TestMuted:
    def test_a_muted_participant_gets_403_muted(self, api, room, muted):
        assert error_of(api.post(URL, {"text": "hi"}, token=muted.token)) == (403, "muted")

    def test_unmuting_lets_them_post_again(self, api, room, muted, moderator):
        api.post(f"/api/rooms/biology/participants/{muted.obj.pk}/unmute", token=moderator.token)

        assert api.post(URL, {"text": "sorry"}, token=muted.token).status == 201

    def test_muting_one_participant_leaves_others_posting(self, api, room, muted, participant):
        assert api.post(URL, {"text": "hi"}, token=participant.token).status == 201


class TestSlowMode:
    @pytest.fixture(autouse=True)
    def slow(self, api, room, owner, clock):
        clock.freeze()
        api.patch("/api/rooms/biology", {"slow_mode_seconds": 30}, token=owner.token)

    def test_a_second_post_sooner_than_the_slow_mode_gets_429_with_retry_after(self, api, participant, clock):
        assert api.post(URL, {"text": "one"}, token=participant.token).status == 201
        clock.advance(timedelta(seconds=10))

        response = api.post(URL, {"text": "two"}, token=participant.token)

        assert error_of(response) == (429, "slow_mode")
        assert response.body["error"]["retry_after"] == 20
        assert response.headers["Retry-After"] == "20"
        assert Message.objects.count() == 1

    def test_posting_works_again_once_the_wait_is_over(self, api, participant, clock):
        api.post(URL, {"text": "one"}, token=participant.token)
        clock.advance(timedelta(seconds=29))
        assert api.post(URL, {"text": "two"}, token=participant.token).status == 429

        clock.advance(timedelta(seconds=1))

        assert api.post(URL, {"text": "two"}, token=participant.token).status == 201

    def test_a_refused_post_does_not_restart_the_wait(self, api, participant, clock):
        api.post(URL, {"text": "one"}, token=participant.token)
        clock.advance(timedelta(seconds=20))
        api.post(URL, {"text": "impatient"}, token=participant.token)

        clock.advance(timedelta(seconds=10))

        assert api.post(URL, {"text": "two"}, token=participant.token).status == 201

    def test_each_participant_waits_for_their_own_last_post(self, api, room, participant, make_participant):
        api.post(URL, {"text": "one"}, token=participant.token)

        assert api.post(URL, {"text": "mine"}, token=make_participant(room, "kim").token).status == 201

    def test_a_first_post_is_never_slowed(self, api, participant):
        assert api.post(URL, {"text": "first"}, token=participant.token).status == 201

    @pytest.mark.parametrize("persona", ["moderator", "owner"])
    def test_teachers_are_never_slowed(self, api, token_of, persona):
        statuses = [api.post(URL, {"text": f"n{n}"}, token=token_of(persona)).status for n in range(3)]

        assert statuses == [201, 201, 201]

    def test_turning_slow_mode_off_lifts_the_wait(self, api, owner, participant):
        api.post(URL, {"text": "one"}, token=participant.token)

        api.patch("/api/rooms/biology", {"slow_mode_seconds": 0}, token=owner.token)

        assert api.post(URL, {"text": "two"}, token=participant.token).status == 201


class TestSlowModeCountsFromWhenItWasSwitchedOn:
    @pytest.fixture(autouse=True)
    def frozen(self, clock):
        clock.freeze()

    def test_a_post_made_before_slow_mode_was_switched_on_does_not_count(self, api, owner, participant, clock):
        assert api.post(URL, {"text": "before"}, token=participant.token).status == 201
        clock.advance(timedelta(seconds=5))

        api.patch("/api/rooms/biology", {"slow_mode_seconds": 30}, token=owner.token)

        assert api.post(URL, {"text": "right after"}, token=participant.token).status == 201
        assert error_of(api.post(URL, {"text": "too soon"}, token=participant.token)) == (429, "slow_mode")

    def test_a_new_interval_while_it_is_on_keeps_counting_the_posts_since(self, api, owner, participant, clock):
        api.patch("/api/rooms/biology", {"slow_mode_seconds": 30}, token=owner.token)
        api.post(URL, {"text": "one"}, token=participant.token)
        clock.advance(timedelta(seconds=10))

        api.patch("/api/rooms/biology", {"slow_mode_seconds": 60}, token=owner.token)

        refused = api.post(URL, {"text": "two"}, token=participant.token)
        assert error_of(refused) == (429, "slow_mode")
        assert refused.body["error"]["retry_after"] == 50

    def test_switching_it_off_and_on_again_forgives_the_posts_before(self, api, owner, participant, clock):
        api.patch("/api/rooms/biology", {"slow_mode_seconds": 30}, token=owner.token)
        api.post(URL, {"text": "one"}, token=participant.token)
        clock.advance(timedelta(seconds=1))
        api.patch("/api/rooms/biology", {"slow_mode_seconds": 0}, token=owner.token)
        api.patch("/api/rooms/biology", {"slow_mode_seconds": 30}, token=owner.token)

        assert api.post(URL, {"text": "two"}, token=participant.token).status == 201


class TestPrivateRoom:
    def test_a_participant_from_before_the_password_gets_401(self, api, room, owner, participant):
        api.patch("/api/rooms/biology", {"password": "mitosis"}, token=owner.token)

        assert error_of(api.post(URL, {"text": "hi"}, token=participant.token)) == (401, "invalid_token")

    def test_someone_who_joined_with_the_password_posts(self, api, room, owner):
        api.patch("/api/rooms/biology", {"password": "mitosis"}, token=owner.token)
        token = api.post("/api/rooms/biology/join", {"nickname": "kim", "password": "mitosis"}).body["token"]

        assert api.post(URL, {"text": "hi"}, token=token).status == 201

"""POST /api/rooms/<name>/join"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from conftest import ApiClient
from rooms import services
from rooms.colors import PARTICIPANT_COLORS
from rooms.models import Participant, Room
from tests.assertions import error_of

WRONG_GUESS = "meiosis"


def test_joining_returns_201_with_a_token_and_the_participant(api, room):
    response = api.post("/api/rooms/biology/join", {"nickname": "Sam"})

    assert response.status == 201
    assert set(response.body) == {"token", "participant"}
    participant = Participant.objects.get()
    assert response.body["participant"] == {
        "id": participant.pk,
        "nickname": "Sam",
        "color": participant.color,
        "muted": False,
        "removed": False,
    }
    assert participant.color.startswith("#")
    assert participant.room == room


def test_the_token_lets_the_participant_post(api, room):
    token = api.post("/api/rooms/biology/join", {"nickname": "Sam"}).body["token"]

    response = ApiClient().post("/api/rooms/biology/messages", {"text": "hello"}, token=token)

    assert response.status == 201
    assert response.body["message"]["nickname"] == "Sam"


def test_the_nickname_is_trimmed(api, room):
    response = api.post("/api/rooms/biology/join", {"nickname": "   Sam \n"})

    assert response.body["participant"]["nickname"] == "Sam"


def test_the_room_name_is_matched_case_insensitively(api, room):
    assert api.post("/api/rooms/Biology/join", {"nickname": "Sam"}).status == 201


@pytest.mark.parametrize("nickname", ["S", "x" * 32, "🙂" * 32, "Zoë Ŝ"])
def test_nicknames_of_one_to_thirty_two_characters_are_accepted(api, room, nickname):
    response = api.post("/api/rooms/biology/join", {"nickname": nickname})

    assert response.status == 201
    assert response.body["participant"]["nickname"] == nickname


@pytest.mark.parametrize(
    "nickname",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("x" * 33, id="thirty-three"),
        pytest.param("Sam\x00", id="nul"),
        pytest.param("Sam\x1b[31m", id="escape"),
        pytest.param("Sa\nm", id="newline"),
        pytest.param("Sam\u202e", id="bidi-override"),
        pytest.param("Sam\u2067", id="bidi-isolate"),
        pytest.param(None, id="null"),
        pytest.param(7, id="number"),
        pytest.param(["Sam"], id="list"),
    ],
)
def test_a_bad_nickname_returns_400(api, room, nickname):
    response = api.post("/api/rooms/biology/join", {"nickname": nickname})

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "nickname"
    assert not Participant.objects.exists()


@pytest.mark.parametrize(
    "nickname",
    [
        pytest.param("\u3164", id="hangul-filler"),
        pytest.param("\u200b\u200bSam", id="zero-width-padded"),
        pytest.param("\u200fowner", id="led-by-rlm"),
        pytest.param("\U000e0020", id="tag-space"),
    ],
)
def test_an_invisible_or_format_character_in_a_nickname_returns_400(api, room, nickname):
    response = api.post("/api/rooms/biology/join", {"nickname": nickname})

    assert error_of(response) == (400, "invalid")
    assert response.body["error"]["field"] == "nickname"
    assert not Participant.objects.exists()


class TestTeacherNames:
    @pytest.mark.parametrize("nickname", ["owner", "OWNER", " Owner ", "\uff4f\uff57\uff4e\uff45\uff52"])
    def test_a_nickname_that_is_the_owners_name_in_the_room_returns_400(self, api, room, nickname):
        response = api.post("/api/rooms/biology/join", {"nickname": nickname})

        assert error_of(response) == (400, "nickname_reserved")
        assert response.body["error"]["field"] == "nickname"
        assert not Participant.objects.exists()

    def test_a_co_moderators_display_name_is_reserved_too(self, api, room, moderator):
        moderator.obj.display_name = "Ms Smith"
        moderator.obj.save()

        response = api.post("/api/rooms/biology/join", {"nickname": "ms smith"})

        assert error_of(response) == (400, "nickname_reserved")

    def test_a_name_that_only_starts_like_a_teachers_is_fine(self, api, room):
        assert api.post("/api/rooms/biology/join", {"nickname": "owner2"}).status == 201

    def test_a_teacher_of_another_room_lends_no_name(self, api, room, other_teacher):
        assert api.post("/api/rooms/biology/join", {"nickname": "colleague"}).status == 201

    def test_rejoining_under_a_teachers_name_is_refused_and_keeps_the_old_nickname(self, room):
        browser = ApiClient()
        browser.post("/api/rooms/biology/join", {"nickname": "Sam"})

        response = browser.post("/api/rooms/biology/join", {"nickname": "Owner"})

        assert error_of(response) == (400, "nickname_reserved")
        assert Participant.objects.get().nickname == "Sam"


def test_a_missing_nickname_returns_400(api, room):
    response = api.post("/api/rooms/biology/join", {})

    assert error_of(response) == (400, "invalid")


def test_an_unknown_room_returns_404(api, room):
    response = api.post("/api/rooms/chemistry/join", {"nickname": "Sam"})

    assert error_of(response) == (404, "room_not_found")
    assert not Participant.objects.exists()


def test_two_clients_joining_with_two_nicknames_are_two_participants(room):
    first = ApiClient().post("/api/rooms/biology/join", {"nickname": "Sam"})
    second = ApiClient().post("/api/rooms/biology/join", {"nickname": "Alex"})

    assert first.body["participant"]["id"] != second.body["participant"]["id"]
    assert first.body["token"] != second.body["token"]


def test_a_participant_token_joining_again_is_a_new_participant(api, room, participant):
    response = api.post("/api/rooms/biology/join", {"nickname": "Sam again"}, token=participant.token)

    assert response.status == 201
    assert response.body["participant"]["id"] != participant.obj.pk


class TestUniqueNicknames:
    @pytest.mark.parametrize("nickname", ["sam", "SAM", " Sam ", "ｓａｍ", "ſam"])
    def test_a_nickname_someone_goes_by_in_any_case_or_width_is_taken(self, api, room, participant, nickname):
        response = api.post("/api/rooms/biology/join", {"nickname": nickname})

        assert error_of(response) == (409, "nickname_taken")
        assert response.body["error"]["field"] == "nickname"
        assert response.body["error"]["suggestion"] == f"{nickname.strip()} 2"
        assert Participant.objects.count() == 1

    def test_the_suggestion_is_itself_free(self, api, room, make_participant):
        for nickname in ("sam", "Sam 2", "SAM 3"):
            make_participant(room, nickname)

        refused = api.post("/api/rooms/biology/join", {"nickname": "Sam"})
        suggestion = refused.body["error"]["suggestion"]

        assert suggestion == "Sam 4"
        assert api.post("/api/rooms/biology/join", {"nickname": suggestion}).status == 201

    def test_a_suggestion_for_a_long_nickname_still_fits(self, api, room, make_participant):
        make_participant(room, "x" * 32)

        suggestion = api.post("/api/rooms/biology/join", {"nickname": "X" * 32}).body["error"]["suggestion"]

        assert suggestion == "X" * 30 + " 2"

    def test_a_suggestion_is_never_a_teachers_name(self, api, room, owner, participant):
        owner.obj.display_name = "Sam 2"
        owner.obj.save()

        suggestion = api.post("/api/rooms/biology/join", {"nickname": "sam"}).body["error"]["suggestion"]

        assert suggestion == "sam 3"

    def test_a_nickname_is_free_again_a_lifetime_after_its_holder_joined(self, api, room, participant, clock):
        clock.advance(room.lifetime_span - timedelta(seconds=1))
        assert error_of(api.post("/api/rooms/biology/join", {"nickname": "Sam"})) == (409, "nickname_taken")

        clock.advance(timedelta(seconds=2))

        assert api.post("/api/rooms/biology/join", {"nickname": "Sam"}).status == 201

    def test_the_same_nickname_in_another_room_is_fine(self, api, room, owner, participant):
        services.room_create(owner=owner.obj, name="chemistry")

        assert api.post("/api/rooms/chemistry/join", {"nickname": "sam"}).status == 201

    def test_the_same_browser_rejoins_under_its_own_nickname(self, room):
        browser = ApiClient(Client())
        joined = browser.post("/api/rooms/biology/join", {"nickname": "Sam"}).body["participant"]

        again = browser.post("/api/rooms/biology/join", {"nickname": "SAM"})

        assert again.status == 200
        assert again.body["participant"]["id"] == joined["id"]

    def test_the_same_browser_by_its_key_alone_rejoins_under_its_own_nickname(self, room):
        browser = Client()
        ApiClient(browser).post("/api/rooms/biology/join", {"nickname": "Sam"})
        browser.session.flush()
        browser.cookies.pop("sessionid", None)

        again = ApiClient(browser).post("/api/rooms/biology/join", {"nickname": "Sam"})

        assert again.status == 200

    def test_a_rejoining_browser_cant_take_someone_elses_nickname(self, room, participant):
        browser = ApiClient(Client())
        browser.post("/api/rooms/biology/join", {"nickname": "Alex"})

        refused = browser.post("/api/rooms/biology/join", {"nickname": "sam"})

        assert error_of(refused) == (409, "nickname_taken")
        assert Participant.objects.get(nickname="Alex")

    def test_a_token_joining_again_under_its_own_nickname_is_let_in(self, api, room, participant):
        assert api.post("/api/rooms/biology/join", {"nickname": "Sam"}, token=participant.token).status == 201


def test_get_returns_405(api, room):
    assert error_of(api.get("/api/rooms/biology/join")) == (405, "method_not_allowed")


class TestColors:
    def test_each_participant_gets_a_color_from_an_accessible_palette(self, api, room):
        colors = [
            ApiClient().post("/api/rooms/biology/join", {"nickname": f"s{n}"}).body["participant"]["color"]
            for n in range(len(PARTICIPANT_COLORS))
        ]

        assert sorted(colors) == sorted(PARTICIPANT_COLORS)

    def test_a_rejoin_from_the_same_browser_keeps_id_color_and_mute(self, room, owner, make_participant):
        make_participant(room, "first")
        browser = ApiClient(Client())
        joined = browser.post("/api/rooms/biology/join", {"nickname": "Sam"}).body["participant"]
        services.participant_mute(room=room, participant=Participant.objects.get(pk=joined["id"]), muted=True)

        again = browser.post("/api/rooms/biology/join", {"nickname": "Samira"})

        assert again.status == 200
        assert again.body["participant"] == {**joined, "nickname": "Samira", "muted": True}


class TestPrivateRoom:
    @pytest.fixture
    def private(self, room):
        return services.room_update(room=room, changes={"password": "mitosis"})

    def test_the_right_password_lets_someone_join_and_read(self, api, private):
        response = api.post("/api/rooms/biology/join", {"nickname": "Sam", "password": "mitosis"})

        assert response.status == 201
        assert api.get("/api/rooms/biology/messages", token=response.body["token"]).status == 200

    @pytest.mark.parametrize("body", [{"nickname": "Sam"}, {"nickname": "Sam", "password": ""}, {"password": None}])
    def test_no_password_gets_403_password_required(self, api, private, body):
        response = api.post("/api/rooms/biology/join", body)

        assert error_of(response) == (403, "password_required")
        assert not Participant.objects.exists()

    @pytest.mark.parametrize("password", ["Mitosis", "mitosis ", "meiosis", 1234, ["mitosis"]])
    def test_a_wrong_password_gets_403_wrong_password(self, api, private, password):
        response = api.post("/api/rooms/biology/join", {"nickname": "Sam", "password": password})

        assert error_of(response) == (403, "wrong_password")
        assert not Participant.objects.exists()

    def guess(self, api, password=WRONG_GUESS, *, room="biology", address="192.0.2.1", **headers):
        body = {"nickname": "Sam", "password": password}
        return api.post(f"/api/rooms/{room}/join", body, REMOTE_ADDR=address, **headers)

    def test_sixty_wrong_guesses_from_one_address_meet_429_with_retry_after(self, api, private, settings):
        statuses = [self.guess(api, f"guess-{index}").status for index in range(60)]

        refused = self.guess(api, "mitosis")
        assert statuses[0] == 403
        assert 429 in statuses
        assert error_of(refused) == (429, "too_many_attempts")
        assert 1 <= int(refused.headers["Retry-After"]) <= settings.FAILED_ATTEMPT_WINDOW_SECONDS
        assert not Participant.objects.exists()

    def test_guesses_from_many_addresses_hold_the_room(self, api, private, settings):
        settings.ROOM_PASSWORD_FAILURES_PER_ROOM = 5
        for index in range(5):
            self.guess(api, address=f"192.0.2.{index + 1}")

        response = self.guess(api, "mitosis", address="198.51.100.7")

        assert error_of(response) == (429, "too_many_attempts")

    def test_an_address_guessing_across_rooms_is_held_everywhere(self, api, private, owner, settings):
        settings.ROOM_PASSWORD_FAILURES_PER_ADDRESS = 4
        services.room_create(owner=owner.obj, name="chemistry")
        chemistry = Room.objects.get(name="chemistry")
        services.room_update(room=chemistry, changes={"password": "benzene"})
        for room in ["biology", "chemistry", "biology", "chemistry"]:
            self.guess(api, room=room)

        assert error_of(self.guess(api, "benzene", room="chemistry")) == (429, "too_many_attempts")
        assert self.guess(api, "benzene", room="chemistry", address="198.51.100.7").status == 201

    def test_a_class_joining_with_the_right_password_is_never_held(self, private, settings):
        settings.ROOM_PASSWORD_FAILURES_PER_ADDRESS = 3
        school = "203.0.113.9"
        ApiClient().post("/api/rooms/biology/join", {"nickname": "typo", "password": "mitosi"}, REMOTE_ADDR=school)

        statuses = {
            ApiClient()
            .post(
                "/api/rooms/biology/join", {"nickname": f"student {index}", "password": "mitosis"}, REMOTE_ADDR=school
            )
            .status
            for index in range(35)
        }

        assert statuses == {201}

    def test_asking_without_a_password_is_not_a_guess(self, api, private, settings):
        settings.ROOM_PASSWORD_FAILURES_PER_ROOM = 2
        for _ in range(5):
            api.post("/api/rooms/biology/join", {"nickname": "Sam"})

        assert self.guess(api, "mitosis").status == 201

    def test_behind_a_trusted_proxy_its_header_names_the_address(self, api, private, settings):
        settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"
        settings.ROOM_PASSWORD_FAILURES_PER_ADDRESS = 2

        def through_the_proxy(password, client):
            return self.guess(api, password, address="127.0.0.1", HTTP_X_REAL_IP=client)

        for _ in range(2):
            through_the_proxy(WRONG_GUESS, "192.0.2.1")

        assert error_of(through_the_proxy("mitosis", "192.0.2.1")) == (429, "too_many_attempts")
        assert through_the_proxy("mitosis", "198.51.100.7").status == 201

    def test_the_password_is_checked_before_the_nickname(self, api, private):
        assert error_of(api.post("/api/rooms/biology/join", {"nickname": ""})) == (403, "password_required")

    def test_a_public_room_ignores_a_password(self, api, room):
        assert api.post("/api/rooms/biology/join", {"nickname": "Sam", "password": "anything"}).status == 201

    def test_a_browser_retired_by_a_new_password_rejoins_as_the_same_participant(self, room, owner):
        browser = ApiClient(Client())
        joined = browser.post("/api/rooms/biology/join", {"nickname": "Sam"}).body["participant"]
        services.room_update(room=room, changes={"password": "mitosis"})
        assert error_of(browser.get("/api/rooms/biology")) == (403, "password_required")

        again = browser.post("/api/rooms/biology/join", {"nickname": "Sam", "password": "mitosis"})

        assert again.status == 200
        assert again.body["participant"] == joined
        assert browser.get("/api/rooms/biology").status == 200


class TestLockJoining:
    @pytest.fixture
    def locked(self, api, owner, room):
        response = api.patch("/api/rooms/biology", {"joining_locked": True}, token=owner.token)
        assert response.status == 200
        assert response.body["joining_locked"] is True
        return room

    def test_nobody_new_may_join_a_locked_room(self, api, locked):
        response = api.post("/api/rooms/biology/join", {"nickname": "Sam"})

        assert error_of(response) == (403, "joining_locked")
        assert not Participant.objects.exists()

    def test_a_browser_that_joined_before_may_come_back(self, room, api, owner):
        browser = ApiClient(Client())
        first = browser.post("/api/rooms/biology/join", {"nickname": "Sam"}).body["participant"]
        api.patch("/api/rooms/biology", {"joining_locked": True}, token=owner.token)

        again = browser.post("/api/rooms/biology/join", {"nickname": "Samira"})

        assert again.status == 200
        assert again.body["participant"]["id"] == first["id"]
        assert browser.post("/api/rooms/biology/messages", {"text": "still here"}).status == 201

    def test_those_who_joined_still_post(self, api, participant, locked):
        assert api.post("/api/rooms/biology/messages", {"text": "hi"}, token=participant.token).status == 201

    def test_locking_is_a_room_updated_event_and_unlocking_opens_the_door(self, api, owner, locked):
        events = api.get("/api/rooms/biology/events?since=0").body["events"]
        assert [(event["type"], event["room"]["joining_locked"]) for event in events] == [("room.updated", True)]

        api.patch("/api/rooms/biology", {"joining_locked": False}, token=owner.token)

        assert api.post("/api/rooms/biology/join", {"nickname": "Sam"}).status == 201

    @pytest.mark.parametrize("value", ["true", 1, None])
    def test_only_true_or_false_locks(self, api, owner, room, value):
        response = api.patch("/api/rooms/biology", {"joining_locked": value}, token=owner.token)

        assert error_of(response) == (400, "invalid")
        assert response.body["error"]["field"] == "joining_locked"


class TestJoinLimits:
    @pytest.fixture(autouse=True)
    def _nicknames(self):
        self.joined = 0

    def join(self, room="biology", address="203.0.113.10"):
        # A fresh browser each time, as a new student (or a student who cleared cookies) is.
        self.joined += 1
        return ApiClient().post(f"/api/rooms/{room}/join", {"nickname": f"Sam {self.joined}"}, REMOTE_ADDR=address)

    def test_joins_from_one_address_are_limited_per_room(self, room, owner, settings):
        settings.JOINS_PER_ADDRESS = 3
        services.room_create(owner=owner.obj, name="chemistry")

        statuses = [self.join().status for _ in range(3)]
        refused = self.join()

        assert statuses == [201] * 3
        assert error_of(refused) == (429, "too_many_attempts")
        assert 1 <= int(refused.headers["Retry-After"]) <= settings.JOIN_WINDOW_SECONDS
        assert self.join(room="chemistry").status == 201
        assert self.join(address="198.51.100.7").status == 201

    def test_joins_of_one_room_are_limited_from_everywhere(self, room, settings):
        settings.JOINS_PER_ROOM = 3
        for index in range(3):
            assert self.join(address=f"192.0.2.{index + 1}").status == 201

        assert error_of(self.join(address="198.51.100.7")) == (429, "too_many_attempts")

    def test_reloading_the_page_is_not_joining(self, room, settings):
        settings.JOINS_PER_ADDRESS = 1
        browser = Client(REMOTE_ADDR="203.0.113.10")
        assert (
            browser.post("/api/rooms/biology/join", {"nickname": "Sam"}, content_type="application/json").status_code
            == 201
        )

        for _ in range(20):
            assert browser.get("/biology/").status_code == 200
            assert browser.get("/api/rooms/biology/messages").status_code == 200

        assert (
            browser.post("/api/rooms/biology/messages", {"text": "hi"}, content_type="application/json").status_code
            == 201
        )

    def test_a_class_of_thirty_five_joins_within_the_default_limits(self, room):
        assert {self.join().status for _ in range(35)} == {201}

"""Rejoining never undoes moderation: the same browser, or a fresh identity from the same address.

A browser is known by its session and by its browser key (a long-lived
signed cookie); clearing cookies or opening a private window sheds both, but
not the network address. Rules on the address are per room and look forward
only, so a class behind one school address goes on as before.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client

from conftest import ApiClient
from rooms import services
from rooms.identity import BROWSER_KEY_COOKIE
from rooms.models import Participant, Report
from tests.assertions import error_of

ROOM = "/api/rooms/biology"
SCHOOL = "203.0.113.10"
HOME = "198.51.100.20"
ROOM_CONFIG = re.compile(r'<script id="room-config" type="application/json">(.*?)</script>', re.DOTALL)


def browser(address: str = SCHOOL) -> ApiClient:
    """A browser at `address`: it keeps its cookies, as a student's would."""
    return ApiClient(Client(REMOTE_ADDR=address))


def join(client: ApiClient, nickname: str):
    return client.post(f"{ROOM}/join", {"nickname": nickname})


def joined(client: ApiClient, nickname: str) -> dict:
    response = join(client, nickname)
    assert response.status in {200, 201}, response.body
    return response.body["participant"]


def post(client: ApiClient, text: str = "hello"):
    return client.post(f"{ROOM}/messages", {"text": text})


def posts_until_refused(client: ApiClient, limit: int = 500) -> int:
    for count in range(limit):
        response = post(client, f"post {count}")
        if response.status != 201:
            assert response.status == 429, response.body
            return count
    return limit


def clear_cookies(client: ApiClient) -> None:
    client.client.cookies.clear()


def forget_session(client: ApiClient) -> None:
    """The session cookie is gone (expired, or cleared alone); the browser key stays."""
    del client.client.cookies[settings.SESSION_COOKIE_NAME]


def page_config(client: ApiClient) -> dict:
    html = client.client.get("/biology/").content.decode()
    return json.loads(ROOM_CONFIG.search(html).group(1))


@pytest.fixture
def mute(api, owner):
    def mute(participant: dict, muted: bool = True) -> dict:
        action = "mute" if muted else "unmute"
        response = api.post(f"{ROOM}/participants/{participant['id']}/{action}", token=owner.token)
        assert response.status == 200
        return response.body["participant"]

    return mute


@pytest.fixture
def student(room) -> ApiClient:
    return browser()


class TestTheMutedStudent:
    @pytest.fixture
    def muted(self, student, mute) -> dict:
        mute(joined(student, "loud"))
        return Participant.objects.get(nickname="loud")

    def test_reloading_the_page_keeps_the_mute(self, student, muted):
        config = page_config(student)

        assert config["me"]["muted"] is True
        assert error_of(post(student)) == (403, "muted")

    def test_rejoining_with_a_new_nickname_keeps_the_participant_and_the_mute(self, student, muted):
        again = join(student, "quiet")

        assert again.status == 200
        assert again.body["participant"]["id"] == muted.pk
        assert again.body["participant"]["muted"] is True
        assert error_of(post(student)) == (403, "muted")

    def test_a_lost_session_is_the_same_participant_by_the_browser_key(self, student, muted):
        forget_session(student)

        again = join(student, "quiet")

        assert again.status == 200
        assert again.body["participant"]["id"] == muted.pk
        assert error_of(post(student)) == (403, "muted")

    def test_cleared_cookies_make_a_new_participant_who_starts_muted(self, student, muted):
        clear_cookies(student)

        fresh = join(student, "quiet")

        assert fresh.status == 201
        assert fresh.body["participant"]["id"] != muted.pk
        assert fresh.body["participant"]["muted"] is True
        assert error_of(post(student)) == (403, "muted")

    def test_a_private_window_starts_muted_too(self, room, muted):
        private_window = browser()

        assert joined(private_window, "new me")["muted"] is True
        assert error_of(post(private_window)) == (403, "muted")

    def test_a_script_without_cookies_starts_muted_too(self, room, muted):
        script = ApiClient(Client(REMOTE_ADDR=SCHOOL))
        token = join(script, "bot").body["token"]

        response = ApiClient(Client(REMOTE_ADDR=SCHOOL)).post(f"{ROOM}/messages", {"text": "hi"}, token=token)

        assert error_of(response) == (403, "muted")

    def test_the_teacher_sees_why_the_new_identity_is_muted(self, api, owner, student, muted):
        clear_cookies(student)
        fresh = joined(student, "quiet")

        listed = {row["id"]: row for row in api.get(f"{ROOM}/participants", token=owner.token).body["participants"]}

        assert listed[fresh["id"]]["muted_from"] == {"id": muted.pk, "nickname": "loud"}
        assert listed[muted.pk]["muted_from"] is None

    def test_another_network_is_not_muted(self, room, muted):
        at_home = browser(HOME)

        assert joined(at_home, "sam")["muted"] is False
        assert post(at_home).status == 201

    def test_muting_is_per_room(self, owner, muted):
        services.room_create(owner=owner.obj, name="chemistry")
        elsewhere = browser()

        response = elsewhere.post("/api/rooms/chemistry/join", {"nickname": "loud"})

        assert response.body["participant"]["muted"] is False


class TestTheClassBehindOneAddress:
    def test_thirty_five_students_behind_one_address_all_join_and_post(self, room, clock):
        class_of_35 = [browser() for _ in range(35)]

        for number, student in enumerate(class_of_35):
            assert join(student, f"student {number}").status == 201
        for number, student in enumerate(class_of_35):
            assert post(student, f"hello from {number}").status == 201
        clock.advance(timedelta(seconds=30))
        for number, student in enumerate(class_of_35):
            assert post(student, f"my answer is {number}").status == 201

        assert room.messages.count() == 70
        assert Participant.objects.filter(room=room).count() == 35

    def test_muting_one_student_leaves_the_classmates_who_were_there_alone(self, room, mute):
        loud, classmate = browser(), browser()
        participant = joined(loud, "loud")
        joined(classmate, "kim")

        mute(participant)

        assert post(classmate).status == 201
        assert error_of(post(loud)) == (403, "muted")

    def test_a_classmate_who_joins_after_a_mute_can_be_unmuted_alone(self, room, mute):
        loud = browser()
        mute(joined(loud, "loud"))
        latecomer = browser()
        late = joined(latecomer, "kim")
        assert late["muted"] is True

        mute(late, muted=False)

        assert post(latecomer).status == 201
        assert error_of(post(loud)) == (403, "muted")

    def test_unmuting_the_student_unmutes_their_other_identities_and_the_address(self, room, mute):
        loud = browser()
        original = joined(loud, "loud")
        mute(original)
        clear_cookies(loud)
        joined(loud, "again")

        mute(original, muted=False)

        assert post(loud).status == 201
        assert joined(browser(), "later")["muted"] is False


class TestLimitsDoNotResetOnRejoin:
    def test_ten_rejoins_with_new_nicknames_share_one_post_budget(self, room, student, settings):
        # Slow enough that no post comes back while the test runs.
        settings.POST_RATE_PER_MINUTE = 1
        total = 0
        for round in range(10):
            joined(student, f"nick {round}")
            total += posts_until_refused(student)

        assert total == settings.POST_RATE_BURST

    def test_ten_fresh_identities_from_one_address_share_the_addresses_budget(self, room, settings):
        settings.ADDRESS_POST_RATE_BURST = 30
        # Slow enough that no post comes back while the test runs.
        settings.ADDRESS_POST_RATE_PER_MINUTE = 1
        total = 0
        for round in range(10):
            fresh = browser()
            joined(fresh, f"nick {round}")
            total += posts_until_refused(fresh)

        assert total == 30
        refused = post(fresh)
        assert error_of(refused) == (429, "rate_limited")
        assert "network" in refused.body["error"]["message"]

    def test_the_address_budget_refills(self, room, settings, clock):
        settings.ADDRESS_POST_RATE_BURST = 2
        first, second, third = browser(), browser(), browser()
        for number, student in enumerate((first, second, third)):
            joined(student, f"student {number}")
        assert [post(first).status, post(second).status, post(third).status] == [201, 201, 429]

        clock.advance(timedelta(seconds=60 / settings.ADDRESS_POST_RATE_PER_MINUTE))

        assert post(third).status == 201

    def test_another_address_has_its_own_budget(self, room, settings):
        settings.ADDRESS_POST_RATE_BURST = 1
        at_school, at_home = browser(), browser(HOME)
        joined(at_school, "kim")
        joined(at_home, "sam")

        assert [post(at_school).status, post(at_home).status] == [201, 201]

    def test_slow_mode_holds_a_student_who_rejoins_under_a_new_nickname(self, api, owner, room, student):
        api.patch(ROOM, {"slow_mode_seconds": 60}, token=owner.token)
        joined(student, "kim")
        assert post(student).status == 201

        joined(student, "not kim")

        assert error_of(post(student)) == (429, "slow_mode")

    def test_slow_mode_holds_a_fresh_identity_from_the_same_address(self, api, owner, room, student, clock):
        api.patch(ROOM, {"slow_mode_seconds": 60}, token=owner.token)
        joined(student, "kim")
        assert post(student).status == 201
        clear_cookies(student)
        joined(student, "not kim")

        refused = post(student)
        clock.advance(timedelta(seconds=60))

        assert error_of(refused) == (429, "slow_mode")
        assert 0 < refused.body["error"]["retry_after"] <= 60
        assert post(student).status == 201

    def test_a_student_who_rejoins_reports_a_message_once(self, room, student, make_participant):
        mean = services.message_post(room=room, author=make_participant(room, "mean").obj, text="you're dumb")[0]
        joined(student, "kim")
        first = student.post(f"{ROOM}/messages/{mean.pk}/report")

        joined(student, "not kim")
        again = student.post(f"{ROOM}/messages/{mean.pk}/report")

        assert (first.status, again.status) == (201, 200)
        assert again.body["report"]["id"] == first.body["report"]["id"]
        assert Report.objects.count() == 1

    def test_thirty_fresh_identities_from_one_address_file_at_most_three_reports_on_a_message(
        self, room, make_participant, settings
    ):
        mean = services.message_post(room=room, author=make_participant(room, "mean").obj, text="you're dumb")[0]
        statuses = []
        for number in range(30):
            fresh = browser()
            joined(fresh, f"reporter {number}")
            statuses.append(fresh.post(f"{ROOM}/messages/{mean.pk}/report").status)

        assert settings.REPORTS_PER_ADDRESS_PER_MESSAGE == 3
        assert statuses == [201] * 3 + [409] * 27
        assert Report.objects.count() == 3

    def test_the_address_refusal_says_the_message_was_reported(self, room, make_participant, settings):
        settings.REPORTS_PER_ADDRESS_PER_MESSAGE = 1
        mean = services.message_post(room=room, author=make_participant(room, "mean").obj, text="you're dumb")[0]
        first, second, elsewhere = browser(), browser(), browser(HOME)
        for number, student in enumerate((first, second, elsewhere)):
            joined(student, f"student {number}")
        assert first.post(f"{ROOM}/messages/{mean.pk}/report").status == 201

        refused = second.post(f"{ROOM}/messages/{mean.pk}/report")

        assert error_of(refused) == (409, "already_reported")
        assert elsewhere.post(f"{ROOM}/messages/{mean.pk}/report").status == 201


class TestTheBrowserKey:
    def test_joining_sets_a_long_lived_signed_http_only_cookie(self, room, student):
        join(student, "kim")

        cookie = student.client.cookies[BROWSER_KEY_COOKIE]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert int(cookie["max-age"]) >= 365 * 24 * 3600
        assert ":" in cookie.value

    def test_the_room_page_gives_one_before_joining(self, room, student):
        student.client.get("/biology/")

        assert BROWSER_KEY_COOKIE in student.client.cookies

    def test_a_forged_key_is_not_anyones(self, room, student):
        joined(student, "kim")
        clear_cookies(student)
        student.client.cookies[BROWSER_KEY_COOKIE] = "forged:value"

        assert join(student, "someone").status == 201

    def test_a_key_is_only_ever_stored_hashed(self, room, student):
        joined(student, "kim")
        key = student.client.cookies[BROWSER_KEY_COOKIE].value

        stored = Participant.objects.get()
        assert stored.browser_key_hash
        assert key.split(":")[0] not in stored.browser_key_hash
        assert SCHOOL not in stored.address_hash

    def test_clients_with_a_token_are_never_rejoined_by_a_key(self, room, student):
        first = join(student, "kim").body

        second = student.post(f"{ROOM}/join", {"nickname": "bot"}, token=first["token"])

        assert second.status == 201
        assert second.body["participant"]["id"] != first["participant"]["id"]

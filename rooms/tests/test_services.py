from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction

from rooms import services
from rooms.models import Message, Participant, Room, RoomEvent
from rooms.payloads import event_payload
from tests.room_listener import RoomListener
from todaysmeet.errors import Conflict, Forbidden, Invalid, RateLimited, Unauthenticated
from todaysmeet.tokens import token_hash


@pytest.fixture
def listener(room):
    listening = RoomListener(room.pk)
    yield listening
    listening.close()


def seqs(room: Room) -> tuple[list[int], list[int]]:
    messages = list(Message.objects.filter(room=room).order_by("seq").values_list("seq", flat=True))
    events = list(RoomEvent.objects.filter(room=room).order_by("seq").values_list("seq", flat=True))
    return messages, events


class TestRoomCreate:
    def test_a_room_is_created_empty_and_open(self, owner):
        room = services.room_create(owner=owner.obj, name="Physics-1", topic="  Motion ")

        assert (room.name, room.topic, room.owner, room.seq) == ("physics-1", "Motion", owner.obj, 0)
        assert room.is_open
        assert room.closes_at == room.created_at + timedelta(days=7)

    def test_a_taken_name_is_a_conflict(self, room, other_teacher):
        with pytest.raises(Conflict) as raised:
            services.room_create(owner=other_teacher.obj, name="biology")
        assert raised.value.code == "name_taken"

    def test_a_name_taken_in_another_case_is_a_conflict(self, room, other_teacher):
        with pytest.raises(Conflict):
            services.room_create(owner=other_teacher.obj, name="BIOLOGY")

    def test_a_reserved_name_is_refused(self, owner):
        with pytest.raises(Invalid) as raised:
            services.room_create(owner=owner.obj, name="admin")
        assert raised.value.code == "name_reserved"
        assert not Room.objects.exists()


class TestParticipantJoin:
    def test_joining_stores_the_trimmed_nickname_and_only_a_token_hash(self, room):
        participant, token = services.participant_join(room=room, nickname="  Sam ")

        participant.refresh_from_db()
        assert participant.nickname == "Sam"
        assert participant.room == room
        assert participant.token_hash == token_hash(token)
        assert token not in participant.token_hash

    def test_two_joins_are_two_participants(self, room):
        first, first_token = services.participant_join(room=room, nickname="sam")
        second, second_token = services.participant_join(room=room, nickname="alex")

        assert first.pk != second.pk
        assert first_token != second_token

    def test_a_second_sam_is_refused_with_a_suggestion_and_nothing_is_stored(self, room):
        services.participant_join(room=room, nickname="sam")

        with pytest.raises(Conflict) as refused:
            services.participant_join(room=room, nickname="Sam")

        assert refused.value.code == "nickname_taken"
        assert refused.value.extra == {"field": "nickname", "suggestion": "Sam 2"}
        assert Participant.objects.filter(room=room).count() == 1

    def test_the_nickname_key_is_stored_and_follows_a_rejoin(self, room):
        participant, _ = services.participant_join(room=room, nickname="Ｓａｍ")
        assert participant.nickname_key == "sam"

        again, _ = services.participant_join(room=room, nickname="Alex", rejoining=participant)

        again.refresh_from_db()
        assert (again.nickname, again.nickname_key) == ("Alex", "alex")
        assert services.participant_join(room=room, nickname="sam")[0].pk != participant.pk

    def test_rejoining_keeps_the_participant_under_the_new_nickname_and_retires_the_old_token(self, room):
        participant, old_token = services.participant_join(room=room, nickname="sam")

        again, new_token = services.participant_join(room=room, nickname="Samira", rejoining=participant)

        assert again.pk == participant.pk
        assert Participant.objects.get(pk=participant.pk).nickname == "Samira"
        assert Participant.objects.filter(token_hash=token_hash(old_token)).count() == 0
        assert Participant.objects.get(token_hash=token_hash(new_token)).pk == participant.pk

    def test_a_participant_of_another_room_is_not_reused(self, room, owner):
        elsewhere = services.room_create(owner=owner.obj, name="chemistry")
        participant, _ = services.participant_join(room=elsewhere, nickname="sam")

        joined, _ = services.participant_join(room=room, nickname="sam", rejoining=participant)

        assert joined.pk != participant.pk
        assert joined.room == room
        assert Participant.objects.get(pk=participant.pk).room == elsewhere

    def test_an_invalid_nickname_creates_nobody(self, room):
        with pytest.raises(Invalid):
            services.participant_join(room=room, nickname="\x00")
        assert not Participant.objects.exists()


class TestMessagePost:
    def test_seqs_are_gapless_from_one_and_every_message_has_its_event(self, room, participant, owner):
        for index in range(3):
            services.message_post(room=room, author=participant.obj, text=f"p{index}")
            services.message_post(room=room, author=owner.obj, text=f"o{index}")

        assert seqs(room) == ([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])
        assert Room.objects.get(pk=room.pk).seq == 6
        for event in RoomEvent.objects.filter(room=room):
            assert event.type == RoomEvent.Type.MESSAGE_CREATED
            assert event.message.seq == event.seq

    def test_each_room_counts_its_own_seqs(self, room, participant, owner, make_participant):
        elsewhere = services.room_create(owner=owner.obj, name="chemistry")
        student = make_participant(elsewhere)

        services.message_post(room=room, author=participant.obj, text="one")
        message, _ = services.message_post(room=elsewhere, author=student.obj, text="one")

        assert message.seq == 1

    def test_a_participant_posts_under_their_nickname(self, room, participant):
        message, created = services.message_post(room=room, author=participant.obj, text="  hi  ")

        assert created
        assert (message.nickname, message.text, message.participant, message.teacher) == (
            "sam",
            "hi",
            participant.obj,
            None,
        )

    def test_the_owner_posts_under_the_local_part_of_their_email(self, room, owner):
        message, _ = services.message_post(room=room, author=owner.obj, text="Welcome")

        assert message.nickname == "owner"
        assert message.teacher == owner.obj

    def test_the_owner_posts_under_their_display_name_when_set(self, room, owner):
        owner.obj.display_name = "Ms. Frizzle"
        owner.obj.save()

        message, _ = services.message_post(room=room, author=owner.obj, text="Welcome")

        assert message.nickname == "Ms. Frizzle"

    def test_repeating_a_client_id_returns_the_original_and_creates_nothing(self, room, participant):
        client_id = str(uuid.uuid4())
        original, _ = services.message_post(room=room, author=participant.obj, text="first", client_id=client_id)

        repeat, created = services.message_post(
            room=room, author=participant.obj, text="different", client_id=client_id
        )

        assert not created
        assert repeat.pk == original.pk
        assert repeat.text == "first"
        assert seqs(room) == ([1], [1])

    def test_repeating_a_client_id_with_invalid_text_still_returns_the_original(self, room, participant):
        client_id = str(uuid.uuid4())
        original, _ = services.message_post(room=room, author=participant.obj, text="first", client_id=client_id)

        repeat, created = services.message_post(room=room, author=participant.obj, text="", client_id=client_id)

        assert (repeat.pk, created) == (original.pk, False)

    def test_the_same_client_id_from_two_authors_is_two_messages(self, room, participant, owner):
        client_id = str(uuid.uuid4())

        first, _ = services.message_post(room=room, author=participant.obj, text="mine", client_id=client_id)
        second, created = services.message_post(room=room, author=owner.obj, text="mine too", client_id=client_id)

        assert created
        assert first.pk != second.pk
        assert seqs(room) == ([1, 2], [1, 2])

    def test_invalid_text_writes_nothing(self, room, participant):
        with pytest.raises(Invalid):
            services.message_post(room=room, author=participant.obj, text="a\u202eb")

        assert seqs(room) == ([], [])
        assert Room.objects.get(pk=room.pk).seq == 0

    def test_a_closed_room_takes_no_posts(self, room, participant, clock):
        Room.objects.filter(pk=room.pk).update(closes_at=clock.now())

        with pytest.raises(Forbidden) as raised:
            services.message_post(room=room, author=participant.obj, text="late")

        assert raised.value.code == "room_closed"

    def test_a_participant_whose_row_is_gone_is_refused_as_an_invalid_token_and_nothing_is_stored(
        self, room, participant
    ):
        # What a post meets when its participant went between its token's read and the room's lock.
        Participant.objects.filter(pk=participant.obj.pk).delete()

        with pytest.raises(Unauthenticated) as raised:
            services.message_post(room=room, author=participant.obj, text="too late")

        assert raised.value.code == "invalid_token"
        assert seqs(room) == ([], [])
        assert Room.objects.get(pk=room.pk).seq == 0


class TestRateLimit:
    @pytest.fixture(autouse=True)
    def small_bucket(self, settings, clock):
        # The bucket refills with real time too: a slow run must not earn extra posts.
        clock.freeze()
        settings.POST_RATE_BURST = 3
        settings.POST_RATE_PER_MINUTE = 6

    def post(self, room, author, text="hi", **kwargs):
        return services.message_post(room=room, author=author, text=text, **kwargs)

    def test_a_burst_passes_and_the_next_post_is_limited_with_a_retry_time(self, room, participant):
        for _ in range(3):
            self.post(room, participant.obj)

        with pytest.raises(RateLimited) as raised:
            self.post(room, participant.obj)

        # Six a minute refills one post every ten seconds.
        assert raised.value.retry_after == 10
        assert seqs(room) == ([1, 2, 3], [1, 2, 3])

    def test_the_allowance_refills_with_time(self, room, participant, clock):
        for _ in range(3):
            self.post(room, participant.obj)

        clock.advance(timedelta(seconds=9))
        with pytest.raises(RateLimited) as raised:
            self.post(room, participant.obj)
        assert raised.value.retry_after == 1

        clock.advance(timedelta(seconds=1))
        self.post(room, participant.obj)

    def test_a_long_pause_refills_no_more_than_one_burst(self, room, participant, clock):
        clock.advance(timedelta(hours=1))

        for _ in range(3):
            self.post(room, participant.obj)
        with pytest.raises(RateLimited):
            self.post(room, participant.obj)

    def test_each_participant_has_their_own_allowance(self, room, participant, make_participant):
        for _ in range(3):
            self.post(room, participant.obj)

        self.post(room, make_participant(room, "kim").obj)

    def test_the_owner_is_never_limited_in_their_own_room(self, room, owner):
        for _ in range(10):
            self.post(room, owner.obj)

        assert Room.objects.get(pk=room.pk).seq == 10

    def test_a_retry_of_an_earlier_post_is_answered_even_when_limited(self, room, participant):
        client_id = str(uuid.uuid4())
        original, _ = self.post(room, participant.obj, client_id=client_id)
        self.post(room, participant.obj)
        self.post(room, participant.obj)

        repeat, created = self.post(room, participant.obj, client_id=client_id)

        assert (repeat.pk, created) == (original.pk, False)


class TestMessageDelete:
    def test_deleting_hides_the_message_and_records_an_event(self, room, participant, owner, clock):
        message, _ = services.message_post(room=room, author=participant.obj, text="oops")

        assert services.message_delete(room=room, message=message, deleted_by=owner.obj)

        message.refresh_from_db()
        assert message.is_deleted
        assert message.deleted_by == owner.obj
        event = RoomEvent.objects.get(room=room, seq=2)
        assert (event.type, event.message_id) == (RoomEvent.Type.MESSAGE_DELETED, message.pk)
        assert Room.objects.get(pk=room.pk).seq == 2

    def test_deleting_twice_records_one_event(self, room, participant, owner):
        message, _ = services.message_post(room=room, author=participant.obj, text="oops")
        services.message_delete(room=room, message=message, deleted_by=owner.obj)

        assert not services.message_delete(room=room, message=message, deleted_by=owner.obj)

        assert seqs(room)[1] == [1, 2]
        assert Room.objects.get(pk=room.pk).seq == 2


class TestMessageRestore:
    def test_restoring_brings_the_message_back_at_its_seq_and_records_an_event(self, room, participant, owner):
        message, _ = services.message_post(room=room, author=participant.obj, text="oops")
        services.message_delete(room=room, message=message, deleted_by=owner.obj)

        assert services.message_restore(room=room, message=message)

        message.refresh_from_db()
        assert (message.is_deleted, message.deleted_by, message.seq) == (False, None, 1)
        event = RoomEvent.objects.get(room=room, seq=3)
        assert (event.type, event.message_id) == (RoomEvent.Type.MESSAGE_RESTORED, message.pk)

    def test_restoring_a_message_that_is_not_deleted_changes_nothing(self, room, participant):
        message, _ = services.message_post(room=room, author=participant.obj, text="fine")

        assert not services.message_restore(room=room, message=message)

        assert Room.objects.get(pk=room.pk).seq == 1

    def test_a_restore_is_published_with_the_message(
        self, room, participant, owner, listener, django_capture_on_commit_callbacks
    ):
        message, _ = services.message_post(room=room, author=participant.obj, text="back again")
        services.message_delete(room=room, message=message, deleted_by=owner.obj)

        with django_capture_on_commit_callbacks(execute=True):
            services.message_restore(room=room, message=message)

        event = listener.next_event()
        assert (event["type"], event["seq"], event["message"]["text"]) == ("message.restored", 3, "back again")


class TestSlowModeSince:
    def test_switching_slow_mode_on_dates_it_and_off_forgets_the_date(self, room, clock):
        clock.freeze()

        on = services.room_update(room=room, changes={"slow_mode_seconds": 30})
        assert on.slow_mode_since == clock.now()
        clock.advance(timedelta(seconds=5))
        longer = services.room_update(room=room, changes={"slow_mode_seconds": 60})
        assert longer.slow_mode_since == on.slow_mode_since
        off = services.room_update(room=room, changes={"slow_mode_seconds": 0})
        assert off.slow_mode_since is None


class TestPublishing:
    def test_a_committed_post_is_published_in_the_event_shape(
        self, room, participant, listener, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            message, _ = services.message_post(room=room, author=participant.obj, text="hello")

        event = listener.next_event()
        assert event == event_payload(RoomEvent.objects.get(room=room, seq=1))
        assert event["message"]["text"] == "hello"
        assert event["message"]["id"] == message.pk

    def test_a_delete_is_published_without_the_text(
        self, room, participant, owner, listener, django_capture_on_commit_callbacks
    ):
        message, _ = services.message_post(room=room, author=participant.obj, text="secret")

        with django_capture_on_commit_callbacks(execute=True):
            services.message_delete(room=room, message=message, deleted_by=owner.obj)

        assert listener.next_event() == {"type": "message.deleted", "seq": 2, "message_id": message.pk}

    def test_a_rolled_back_post_publishes_nothing(
        self, room, participant, listener, django_capture_on_commit_callbacks
    ):
        class Abandon(Exception):
            pass

        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(Abandon),
            transaction.atomic(),
        ):
            services.message_post(room=room, author=participant.obj, text="never sent")
            raise Abandon

        assert callbacks == []
        assert seqs(room) == ([], [])
        assert Room.objects.get(pk=room.pk).seq == 0
        # The seq the rolled-back post took is reused, and the first thing the
        # group ever hears is the post that did commit.
        with django_capture_on_commit_callbacks(execute=True):
            services.message_post(room=room, author=participant.obj, text="sent")
        event = listener.next_event()
        assert (event["seq"], event["message"]["text"]) == (1, "sent")


@pytest.mark.django_db(transaction=True)
def test_concurrent_posters_get_exactly_one_seq_each_with_no_gap(owner):
    room = services.room_create(owner=owner.obj, name="stampede")
    posters = [services.participant_join(room=room, nickname=f"student{index}")[0] for index in range(6)]
    posts_each = 5
    listener = RoomListener(room.pk)
    start = threading.Barrier(len(posters) + 1)
    failures: list[BaseException] = []

    def post_all(author: Participant) -> None:
        try:
            start.wait()
            for index in range(posts_each):
                services.message_post(room=Room.objects.get(pk=room.pk), author=author, text=f"{author.pk}:{index}")
            services.message_post(room=Room.objects.get(pk=room.pk), author=owner.obj, text=f"owner for {author.pk}")
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post_all, args=(poster,)) for poster in posters]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    total = len(posters) * (posts_each + 1)
    expected = list(range(1, total + 1))
    assert seqs(room) == (expected, expected)
    assert Room.objects.get(pk=room.pk).seq == total
    for event in RoomEvent.objects.filter(room=room).select_related("message"):
        assert event.message.seq == event.seq
    # Each author's own posts keep the order they were made in.
    for poster in posters:
        texts = list(Message.objects.filter(participant=poster).order_by("seq").values_list("text", flat=True))
        assert texts == [f"{poster.pk}:{index}" for index in range(posts_each)]
    published = sorted(listener.next_event()["seq"] for _ in range(total))
    assert published == expected
    listener.close()


@pytest.mark.django_db(transaction=True)
def test_people_asking_for_one_nickname_at_once_get_it_once(owner):
    room = services.room_create(owner=owner.obj, name="stampede")
    askers = 6
    start = threading.Barrier(askers + 1)
    outcomes: list[str] = []

    def ask() -> None:
        try:
            start.wait()
            services.participant_join(room=Room.objects.get(pk=room.pk), nickname="sam")
            outcomes.append("joined")
        except Conflict as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(askers)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["joined"] + ["nickname_taken"] * (askers - 1)
    assert list(Participant.objects.filter(room=room).values_list("nickname", flat=True)) == ["sam"]

"""Q&A in the services: the review queue, the word filter, anonymity, pinning, answering and upvotes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rooms import services
from rooms.models import Message, MessageVote, RoomEvent
from todaysmeet.errors import Conflict, Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def events(room) -> list[tuple[int, str]]:
    return list(RoomEvent.objects.filter(room=room).order_by("seq").values_list("seq", "type"))


def post(room, author, text="a question") -> Message:
    return services.message_post(room=room, author=author, text=text)[0]


class TestReviewQueue:
    def test_with_review_on_a_participants_post_is_held_at_its_own_seq(self, room, participant):
        services.room_update(room=room, changes={"review": True})

        message = post(room, participant.obj)

        assert (message.status, message.seq) == ("held", 2)
        assert events(room) == [(1, "room.updated"), (2, "message.held")]

    def test_a_teachers_post_is_never_held(self, room, owner):
        services.room_update(room=room, changes={"review": True})

        assert post(room, owner.obj).status == "published"

    def test_approving_publishes_it_at_the_approvals_seq_and_twice_changes_nothing(self, room, participant, owner):
        services.room_update(room=room, changes={"review": True})
        held = post(room, participant.obj)
        post(room, owner.obj, "meanwhile")

        assert services.message_approve(room=room, message=held) is True
        assert services.message_approve(room=room, message=held) is False

        held.refresh_from_db()
        assert (held.status, held.seq) == ("published", 4)
        assert events(room)[-1] == (4, "message.created")
        assert RoomEvent.objects.get(room=room, seq=4).message_id == held.pk
        assert len(events(room)) == 4

    def test_rejecting_tells_its_author_and_twice_changes_nothing(self, room, participant):
        services.room_update(room=room, changes={"review": True})
        held = post(room, participant.obj)

        assert services.message_reject(room=room, message=held) is True
        assert services.message_reject(room=room, message=held) is False

        held.refresh_from_db()
        assert held.status == "rejected"
        assert events(room)[-1] == (3, "message.rejected")
        assert len(events(room)) == 3

    def test_a_rejected_post_cannot_be_approved_nor_a_published_one_rejected(self, room, participant):
        services.room_update(room=room, changes={"review": True})
        held = post(room, participant.obj)
        services.message_reject(room=room, message=held)
        published = post(room, room.owner)

        with pytest.raises(Conflict) as rejected:
            services.message_approve(room=room, message=held)
        with pytest.raises(Conflict) as already:
            services.message_reject(room=room, message=published)

        assert (rejected.value.code, already.value.code) == ("message_rejected", "message_published")

    def test_turning_review_off_leaves_the_queue_as_it_is(self, room, participant):
        services.room_update(room=room, changes={"review": True})
        held = post(room, participant.obj)

        services.room_update(room=room, changes={"review": False})

        held.refresh_from_db()
        assert held.status == "held"
        assert post(room, participant.obj, "later").status == "published"

    def test_a_held_post_cannot_be_deleted_only_approved_or_rejected(self, room, participant, owner):
        services.room_update(room=room, changes={"review": True})
        held = post(room, participant.obj)

        with pytest.raises(Conflict) as refused:
            services.message_delete(room=room, message=held, deleted_by=owner.obj)

        assert refused.value.code == "message_held"


class TestWordFilter:
    def test_off_by_default(self, room, participant):
        message = post(room, participant.obj, "what the shit")

        assert (message.status, message.filtered, message.masked_text) == ("published", False, "")

    def test_mask_publishes_with_the_words_starred_and_keeps_the_original(self, room, participant):
        services.room_update(room=room, changes={"word_filter": "mask"})

        message = post(room, participant.obj, "what the sh1t")

        assert (message.status, message.filtered) == ("published", True)
        assert (message.text, message.masked_text) == ("what the sh1t", "what the ****")

    def test_hold_sends_a_matching_post_to_the_queue_even_with_review_off(self, room, participant):
        services.room_update(room=room, changes={"word_filter": "hold", "blocked_words": ["Broccoli"]})

        held = post(room, participant.obj, "I love broccoli")
        clean = post(room, participant.obj, "I love carrots")

        assert (held.status, held.filtered, held.masked_text) == ("held", True, "")
        assert clean.status == "published"

    def test_teachers_posts_are_not_filtered(self, room, owner):
        services.room_update(room=room, changes={"word_filter": "mask"})

        assert post(room, owner.obj, "what the shit").masked_text == ""

    @pytest.mark.parametrize("words", [["x" * 41], [""], ["  "], ["..."], ["a\nb"], "broccoli", [3], ["w"] * 201])
    def test_blocked_words_are_checked(self, room, words):
        with pytest.raises(Invalid) as refused:
            services.room_update(room=room, changes={"blocked_words": words})

        assert refused.value.extra["field"] == "blocked_words"

    def test_blocked_words_are_stored_lowercase_once_each(self, room):
        room = services.room_update(room=room, changes={"blocked_words": [" Broccoli ", "broccoli", "Ice Cream"]})

        assert room.blocked_word_list == ["broccoli", "ice cream"]

    def test_the_filter_is_one_of_off_hold_and_mask(self, room):
        with pytest.raises(Invalid):
            services.room_update(room=room, changes={"word_filter": "on"})


class TestAnonymous:
    def test_a_post_keeps_the_anonymity_of_the_room_when_it_was_written(self, room, participant, owner):
        services.room_update(room=room, changes={"anonymous": True})
        hidden = post(room, participant.obj)
        teacher = post(room, owner.obj)
        services.room_update(room=room, changes={"anonymous": False})
        named = post(room, participant.obj)

        hidden.refresh_from_db()
        assert (hidden.anonymous, teacher.anonymous, named.anonymous) == (True, False, False)


class TestPinAndAnswer:
    def test_pinning_another_message_unpins_the_first_each_an_event(self, room, participant, owner):
        first, second = post(room, participant.obj), post(room, owner.obj)
        services.message_update(room=room, message=first, changes={"pinned": True})

        services.message_update(room=room, message=second, changes={"pinned": True})

        assert list(Message.objects.filter(pinned=True)) == [second]
        assert events(room)[2:] == [(3, "message.updated"), (4, "message.updated"), (5, "message.updated")]
        assert [event.message_id for event in RoomEvent.objects.filter(seq__gte=4).order_by("seq")] == [
            first.pk,
            second.pk,
        ]

    def test_pinning_and_answering_at_once_is_one_event_and_repeating_it_none(self, room, participant):
        message = post(room, participant.obj)

        services.message_update(room=room, message=message, changes={"pinned": True, "answered": True})
        services.message_update(room=room, message=message, changes={"pinned": True, "answered": True})

        message.refresh_from_db()
        assert (message.pinned, message.answered) == (True, True)
        assert events(room) == [(1, "message.created"), (2, "message.updated")]

    def test_deleting_the_pinned_message_unpins_it(self, room, participant, owner):
        message = post(room, participant.obj)
        services.message_update(room=room, message=message, changes={"pinned": True})

        services.message_delete(room=room, message=message, deleted_by=owner.obj)

        assert not Message.objects.filter(pinned=True).exists()

    def test_a_deleted_message_cannot_be_changed(self, room, participant, owner):
        message = post(room, participant.obj)
        services.message_delete(room=room, message=message, deleted_by=owner.obj)

        with pytest.raises(NotFound):
            services.message_update(room=room, message=message, changes={"answered": True})

    @pytest.mark.parametrize("changes", [{"pinned": "yes"}, {"answered": 1}, {"text": "edited"}])
    def test_only_pinned_and_answered_change_and_only_to_true_or_false(self, room, participant, changes):
        message = post(room, participant.obj)

        with pytest.raises(Invalid):
            services.message_update(room=room, message=message, changes=changes)


class TestVotes:
    def test_one_vote_per_voter_and_taking_it_back(self, room, participant, owner, make_participant):
        message = post(room, participant.obj)
        kim = make_participant(room, "kim").obj

        counts = [
            services.message_vote(room=room, message=message, voter=participant.obj, upvote=True),
            services.message_vote(room=room, message=message, voter=participant.obj, upvote=True),
            services.message_vote(room=room, message=message, voter=kim, upvote=True),
            services.message_vote(room=room, message=message, voter=owner.obj, upvote=True),
            services.message_vote(room=room, message=message, voter=kim, upvote=False),
            services.message_vote(room=room, message=message, voter=kim, upvote=False),
        ]

        assert counts == [1, 1, 2, 3, 2, 2]
        assert sorted(MessageVote.objects.values_list("voter_key", flat=True)) == [
            f"p{participant.obj.pk}",
            f"t{owner.obj.pk}",
        ]

    def test_a_vote_records_no_event_until_a_flush(self, room, participant):
        message = post(room, participant.obj)

        services.message_vote(room=room, message=message, voter=participant.obj, upvote=True)

        assert events(room) == [(1, "message.created")]
        assert services.votes_flush(room_id=room.pk) is None
        event = RoomEvent.objects.get(room=room, seq=2)
        assert (event.type, event.data) == ("message.votes", {"votes": [{"message_id": message.pk, "upvotes": 1}]})

    def test_a_flush_within_the_interval_waits_and_the_next_carries_every_change(
        self, room, participant, make_participant, clock
    ):
        clock.freeze()
        first, second = post(room, participant.obj), post(room, participant.obj)
        services.message_vote(room=room, message=first, voter=participant.obj, upvote=True)
        services.votes_flush(room_id=room.pk)
        for name in ("kim", "lee"):
            services.message_vote(room=room, message=first, voter=make_participant(room, name).obj, upvote=True)
        services.message_vote(room=room, message=second, voter=participant.obj, upvote=True)

        clock.advance(timedelta(milliseconds=100))
        wait = services.votes_flush(room_id=room.pk)
        clock.advance(timedelta(milliseconds=150))
        done = services.votes_flush(room_id=room.pk)

        assert wait == pytest.approx(0.15)
        assert done is None
        assert [event.data for event in RoomEvent.objects.filter(type="message.votes").order_by("seq")] == [
            {"votes": [{"message_id": first.pk, "upvotes": 1}]},
            {"votes": [{"message_id": first.pk, "upvotes": 3}, {"message_id": second.pk, "upvotes": 1}]},
        ]

    def test_a_flush_with_nothing_changed_records_nothing(self, room, participant):
        message = post(room, participant.obj)
        services.message_vote(room=room, message=message, voter=participant.obj, upvote=True)
        services.message_vote(room=room, message=message, voter=participant.obj, upvote=False)

        assert services.votes_flush(room_id=room.pk) is None
        assert events(room) == [(1, "message.created")]

    def test_more_counts_than_one_event_holds_go_out_one_interval_later(self, room, owner, participant, monkeypatch):
        monkeypatch.setattr(services, "VOTES_PER_EVENT", 2)
        messages = [post(room, owner.obj, f"question {number}") for number in range(3)]
        for message in messages:
            services.message_vote(room=room, message=message, voter=participant.obj, upvote=True)

        wait = services.votes_flush(room_id=room.pk)

        assert wait == services.VOTES_EVENT_INTERVAL.total_seconds()
        assert len(RoomEvent.objects.get(type="message.votes").data["votes"]) == 2

    def test_no_votes_in_a_closed_room(self, room, participant, clock):
        message = post(room, participant.obj)
        clock.advance(timedelta(days=8))

        with pytest.raises(Forbidden) as refused:
            services.message_vote(room=room, message=message, voter=participant.obj, upvote=True)

        assert refused.value.code == "room_closed"

    def test_deleting_a_room_deletes_its_votes(self, room, participant):
        message = post(room, participant.obj)
        services.message_vote(room=room, message=message, voter=participant.obj, upvote=True)

        services.room_delete(room=room)

        assert not MessageVote.objects.exists()

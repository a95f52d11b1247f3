from __future__ import annotations

import pytest

from rooms import selectors, services
from rooms.models import Message


@pytest.fixture
def ten_messages(room, owner) -> list[Message]:
    """Messages with seq 1..10; #4 and #7 are then deleted (events 11 and 12)."""
    messages = [services.message_post(room=room, author=owner.obj, text=f"m{seq}")[0] for seq in range(1, 11)]
    for seq in (4, 7):
        services.message_delete(room=room, message=messages[seq - 1], deleted_by=owner.obj)
    return messages


def page_seqs(page: tuple[list[Message], bool]) -> tuple[list[int], bool]:
    messages, has_more = page
    return [message.seq for message in messages], has_more


class TestMessageList:
    def test_an_empty_room_has_an_empty_page(self, room):
        assert page_seqs(selectors.message_list(room=room)) == ([], False)

    def test_without_a_cursor_the_newest_visible_messages_come_in_ascending_order(self, room, ten_messages):
        assert page_seqs(selectors.message_list(room=room, limit=3)) == ([8, 9, 10], True)

    def test_deleted_messages_are_left_out_and_do_not_count_towards_the_limit(self, room, ten_messages):
        assert page_seqs(selectors.message_list(room=room, limit=4)) == ([6, 8, 9, 10], True)

    def test_a_page_that_holds_everything_has_no_more(self, room, ten_messages):
        assert page_seqs(selectors.message_list(room=room, limit=8)) == ([1, 2, 3, 5, 6, 8, 9, 10], False)

    def test_before_pages_backwards_from_a_seq(self, room, ten_messages):
        assert page_seqs(selectors.message_list(room=room, before=8, limit=3)) == ([3, 5, 6], True)
        assert page_seqs(selectors.message_list(room=room, before=3, limit=3)) == ([1, 2], False)

    def test_before_one_is_empty(self, room, ten_messages):
        assert page_seqs(selectors.message_list(room=room, before=1)) == ([], False)

    def test_since_pages_forwards_from_a_seq(self, room, ten_messages):
        assert page_seqs(selectors.message_list(room=room, since=2, limit=3)) == ([3, 5, 6], True)
        assert page_seqs(selectors.message_list(room=room, since=6, limit=3)) == ([8, 9, 10], False)

    def test_since_the_head_is_empty(self, room, ten_messages):
        assert page_seqs(selectors.message_list(room=room, since=10)) == ([], False)

    def test_other_rooms_messages_never_appear(self, room, ten_messages, other_teacher):
        elsewhere = services.room_create(owner=other_teacher.obj, name="chemistry")
        services.message_post(room=elsewhere, author=other_teacher.obj, text="elsewhere")

        assert page_seqs(selectors.message_list(room=elsewhere)) == ([1], False)
        assert "elsewhere" not in [message.text for message in selectors.message_list(room=room)[0]]


class TestEventsSince:
    def test_events_come_oldest_first_after_since(self, room, ten_messages):
        events, has_more = selectors.events_since(room_id=room.pk, since=8)

        assert [(event.seq, event.type) for event in events] == [
            (9, "message.created"),
            (10, "message.created"),
            (11, "message.deleted"),
            (12, "message.deleted"),
        ]
        assert not has_more

    def test_the_limit_cuts_the_page_and_says_more_follow(self, room, ten_messages):
        events, has_more = selectors.events_since(room_id=room.pk, since=0, limit=5)

        assert [event.seq for event in events] == [1, 2, 3, 4, 5]
        assert has_more

    def test_until_stops_at_a_seq(self, room, ten_messages):
        events, has_more = selectors.events_since(room_id=room.pk, since=3, until=6)

        assert [event.seq for event in events] == [4, 5, 6]
        assert not has_more

    def test_created_events_of_deleted_messages_are_still_in_the_log(self, room, ten_messages):
        events, _ = selectors.events_since(room_id=room.pk, since=3, limit=1)

        assert events[0].message.is_deleted


def test_the_room_head_is_its_latest_seq(room, ten_messages):
    assert selectors.room_head(room_id=room.pk) == 12


def test_an_unknown_room_has_no_head(db):
    assert selectors.room_head(room_id=987654) is None


def test_room_heads_answers_for_the_rooms_that_exist_in_one_query(room, ten_messages, owner, django_assert_num_queries):
    quiet = services.room_create(owner=owner.obj, name="quiet-room", topic="Nothing yet")

    with django_assert_num_queries(1):
        heads = selectors.room_heads(room_ids=[room.pk, quiet.pk, 987654])

    assert heads == {room.pk: 12, quiet.pk: 0}

"""GET /api/rooms/<name>/messages"""

from __future__ import annotations

import pytest

from rooms import services
from rooms.models import Message
from rooms.payloads import timestamp
from rooms.tests.personas import ALLOWED, MODERATORS_ONLY
from tests.assertions import error_of

URL = "/api/rooms/biology/messages"


@pytest.fixture
def history(room, owner, participant):
    """Sixty messages, seq 1..60, of which #10 and #55 are deleted (head 62)."""
    messages = []
    for seq in range(1, 61):
        author = participant.obj if seq % 4 == 0 else owner.obj
        messages.append(services.message_post(room=room, author=author, text=f"message {seq}")[0])
    for seq in (10, 55):
        services.message_delete(room=room, message=messages[seq - 1], deleted_by=owner.obj)
    return messages


def page(response) -> tuple[list[int], bool, int]:
    assert response.status == 200, response.body
    assert set(response.body) == {"messages", "has_more", "seq", "pinned"}
    return [message["seq"] for message in response.body["messages"]], response.body["has_more"], response.body["seq"]


def test_an_empty_room_has_no_messages(api, room):
    assert page(api.get(URL)) == ([], False, 0)


def test_anyone_reads_history_without_a_token(api, history, participant):
    response = api.get(URL + "?limit=1")

    assert response.status == 200
    assert response.body["messages"] == [
        {
            "id": history[59].pk,
            "seq": 60,
            "nickname": "sam",
            "text": "message 60",
            "created_at": timestamp(history[59].created_at),
            "client_id": None,
            "participant_id": participant.obj.pk,
            "color": participant.obj.color,
            "role": "participant",
            "status": "published",
            "anonymous": False,
            "upvotes": 0,
            "pinned": False,
            "answered": False,
            "upvoted": False,
        }
    ]


def test_no_cursor_gives_the_newest_fifty_in_ascending_order(api, history):
    seqs, has_more, head = page(api.get(URL))

    assert seqs == [s for s in range(1, 61) if s not in (10, 55)][-50:]
    assert seqs == sorted(seqs)
    assert len(seqs) == 50
    assert has_more
    assert head == 62


def test_deleted_messages_are_left_out(api, history):
    response = api.get(URL + "?limit=100")

    seqs = [message["seq"] for message in response.body["messages"]]
    assert 10 not in seqs
    assert 55 not in seqs
    assert len(seqs) == 58
    texts = {message["text"] for message in response.body["messages"]}
    assert texts.isdisjoint({"message 10", "message 55"})


def test_limit_sets_the_page_size(api, history):
    assert page(api.get(URL + "?limit=3")) == ([58, 59, 60], True, 62)


def test_before_gives_the_newest_older_messages(api, history):
    assert page(api.get(URL + "?before=13&limit=3")) == ([9, 11, 12], True, 62)


def test_before_has_no_more_at_the_start(api, history):
    assert page(api.get(URL + "?before=4&limit=3")) == ([1, 2, 3], False, 62)
    assert page(api.get(URL + "?before=1")) == ([], False, 62)


def test_paging_back_with_before_visits_every_visible_message_once(api, history):
    seen: list[int] = []
    seqs, has_more, _ = page(api.get(URL + "?limit=7"))
    seen = seqs + seen
    while has_more:
        seqs, has_more, _ = page(api.get(URL + f"?limit=7&before={seen[0]}"))
        seen = seqs + seen

    assert seen == [s for s in range(1, 61) if s not in (10, 55)]


def test_since_gives_the_oldest_newer_messages(api, history):
    assert page(api.get(URL + "?since=8&limit=3")) == ([9, 11, 12], True, 62)


def test_since_has_no_more_at_the_end(api, history):
    assert page(api.get(URL + "?since=56&limit=3")) == ([57, 58, 59], True, 62)
    assert page(api.get(URL + "?since=57&limit=3")) == ([58, 59, 60], False, 62)
    assert page(api.get(URL + "?since=62")) == ([], False, 62)


def test_since_zero_starts_at_the_first_message(api, history):
    seqs, has_more, _ = page(api.get(URL + "?since=0"))

    assert seqs[:3] == [1, 2, 3]
    assert len(seqs) == 50
    assert has_more


def test_since_and_before_beyond_the_head_are_not_errors(api, history):
    assert page(api.get(URL + "?since=1000")) == ([], False, 62)
    assert page(api.get(URL + "?before=1000&limit=2")) == ([59, 60], True, 62)


def test_limits_of_one_and_a_hundred_are_accepted(api, history):
    assert page(api.get(URL + "?limit=1")) == ([60], True, 62)
    assert page(api.get(URL + "?limit=100")) == ([s for s in range(1, 61) if s not in (10, 55)], False, 62)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("limit=0", id="limit-zero"),
        pytest.param("limit=101", id="limit-over-100"),
        pytest.param("limit=-5", id="limit-negative"),
        pytest.param("limit=ten", id="limit-word"),
        pytest.param("limit=", id="limit-empty"),
        pytest.param("limit=2.5", id="limit-fraction"),
        pytest.param("before=-1", id="before-negative"),
        pytest.param("since=-1", id="since-negative"),
        pytest.param("before=abc", id="before-word"),
        pytest.param("since=1e3", id="since-exponent"),
        pytest.param("since=", id="since-empty"),
        pytest.param("since=%D9%A3", id="since-arabic-digit"),
        pytest.param("since=1_0", id="since-underscore"),
        pytest.param("since=+5", id="since-plus"),
        pytest.param("since=%205", id="since-space"),
        pytest.param("before=" + "9" * 5000, id="before-five-thousand-digits"),
        pytest.param("since=" + "9" * 5000, id="since-five-thousand-digits"),
    ],
)
def test_a_bad_number_returns_400(api, history, query):
    response = api.get(f"{URL}?{query}")

    assert error_of(response) == (400, "invalid")


def test_cursors_beyond_any_possible_seq_are_answered_not_errors(api, history):
    huge = "9" * 30

    assert page(api.get(f"{URL}?since={huge}")) == ([], False, 62)
    assert page(api.get(f"{URL}?before={huge}&limit=2")) == ([59, 60], True, 62)


def test_both_cursors_at_once_return_400(api, history):
    response = api.get(URL + "?before=20&since=10")

    assert error_of(response) == (400, "conflicting_cursors")


def test_an_unknown_room_returns_404(api, history):
    assert error_of(api.get("/api/rooms/chemistry/messages")) == (404, "room_not_found")


def test_delete_on_the_collection_returns_405(api, room, owner):
    response = api.delete(URL, token=owner.token)

    assert error_of(response) == (405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"


class TestIncludeDeleted:
    @pytest.mark.parametrize(("persona", "expected"), MODERATORS_ONLY)
    def test_only_the_rooms_teachers_may_see_deleted_messages(self, api, history, token_of, persona, expected):
        response = api.get(URL + "?include_deleted=1&limit=100", token=token_of(persona))

        if expected == ALLOWED:
            assert [message["seq"] for message in response.body["messages"]] == list(range(1, 61))
        else:
            assert error_of(response) == expected
            assert "message 10" not in str(response.body)

    def test_deleted_messages_come_as_evidence_with_who_deleted_them_and_when(self, api, history, moderator):
        response = api.get(URL + "?include_deleted=1&since=9&limit=2", token=moderator.token)

        deleted, kept = response.body["messages"]
        assert deleted == {
            "id": history[9].pk,
            "seq": 10,
            "nickname": "owner",
            "text": "message 10",
            "created_at": timestamp(history[9].created_at),
            "client_id": None,
            "participant_id": None,
            "color": None,
            "role": "owner",
            "status": "published",
            "anonymous": False,
            "upvotes": 0,
            "pinned": False,
            "answered": False,
            "deleted": True,
            "deleted_at": timestamp(Message.objects.get(pk=history[9].pk).deleted_at),
            "deleted_by": "owner@school.example",
            "upvoted": False,
        }
        assert (kept["seq"], kept["deleted"], kept["deleted_at"], kept["deleted_by"]) == (11, False, None, None)

    def test_include_deleted_pages_like_the_plain_history(self, api, history, owner):
        response = api.get(URL + "?include_deleted=true&before=12&limit=3", token=owner.token)

        assert [message["seq"] for message in response.body["messages"]] == [9, 10, 11]
        assert response.body["has_more"] is True
        assert response.body["seq"] == 62

    @pytest.mark.parametrize("flag", ["0", "false"])
    def test_include_deleted_off_is_the_plain_history_for_anyone(self, api, history, flag):
        response = api.get(URL + f"?include_deleted={flag}&limit=100")

        assert response.status == 200
        assert 10 not in [message["seq"] for message in response.body["messages"]]
        assert "deleted" not in response.body["messages"][0]

    @pytest.mark.parametrize("flag", ["yes", "2", "", "%00"])
    def test_a_flag_that_is_not_one_or_zero_returns_400(self, api, history, owner, flag):
        response = api.get(URL + f"?include_deleted={flag}", token=owner.token)

        assert error_of(response) == (400, "invalid")
        assert response.body["error"]["field"] == "include_deleted"


class TestPrivateRoom:
    @pytest.fixture(autouse=True)
    def private(self, history, room):
        services.room_update(room=room, changes={"password": "mitosis"})

    def test_strangers_get_403_password_required(self, api):
        response = api.get(URL)

        assert error_of(response) == (403, "password_required")
        assert "message 60" not in str(response.body)

    def test_a_participant_who_joined_with_the_password_reads_the_history(self, api):
        token = api.post("/api/rooms/biology/join", {"nickname": "kim", "password": "mitosis"}).body["token"]

        assert len(api.get(URL, token=token).body["messages"]) == 50

    @pytest.mark.parametrize("persona", ["owner", "moderator"])
    def test_the_rooms_teachers_read_the_history(self, api, token_of, persona):
        assert api.get(URL, token=token_of(persona)).status == 200


class TestTop:
    @pytest.fixture
    def voted(self, room, owner, make_participant):
        """Four messages upvoted 2, 0, 3 and 2 times."""
        messages = [services.message_post(room=room, author=owner.obj, text=f"q{index}")[0] for index in range(4)]
        voters = [make_participant(room, f"voter {index}").obj for index in range(3)]
        for message, count in zip(messages, (2, 0, 3, 2), strict=True):
            for voter in voters[:count]:
                services.message_vote(room=room, message=message, voter=voter, upvote=True)
        return messages

    def test_top_gives_the_most_upvoted_first_ties_to_the_newer(self, api, voted):
        response = api.get(URL + "?order=top&limit=3")

        assert [(message["text"], message["upvotes"]) for message in response.body["messages"]] == [
            ("q2", 3),
            ("q3", 2),
            ("q0", 2),
        ]
        assert response.body["has_more"] is True

    def test_top_leaves_out_deleted_messages_and_filters_by_answered(self, api, room, owner, voted):
        services.message_delete(room=room, message=voted[2], deleted_by=owner.obj)
        services.message_update(room=room, message=voted[3], changes={"answered": True})

        unanswered = api.get(URL + "?order=top&answered=0").body["messages"]

        assert [message["text"] for message in unanswered] == ["q0", "q1"]

    @pytest.mark.parametrize("query", ["order=top&before=3", "order=top&since=1", "status=held&since=1"])
    def test_top_and_the_queue_have_no_cursors(self, api, voted, query):
        assert error_of(api.get(f"{URL}?{query}")) == (400, "conflicting_cursors")

    @pytest.mark.parametrize("query", ["order=new", "status=deleted", "answered=maybe"])
    def test_unknown_values_answer_400(self, api, voted, query):
        assert error_of(api.get(f"{URL}?{query}")) == (400, "invalid")

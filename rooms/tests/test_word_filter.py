"""The word filter: the built-in list with its leetspeak, a room's own words, and what passes."""

from __future__ import annotations

import pytest

from rooms.word_filter import MASK, word_filter_check


@pytest.mark.parametrize(
    "text",
    ["shit", "SHIT", "sh1t", "$hit", "5h!t", "b1tch", "@sshole", "a$$hole", "f u c k", "f.u.c.k", "blow job"],
)
def test_the_built_in_list_and_its_leetspeak_match(text):
    assert word_filter_check(f"well {text} then").matched


@pytest.mark.parametrize(
    "text",
    [
        "Is mitosis on the test?",
        "assessment",
        "Scunthorpe",
        "class assignment",
        "Sh, be quiet",
        "hello!!!",
        "cocktail party",
        "an Al Gore quote",
    ],
)
def test_ordinary_words_pass(text):
    result = word_filter_check(text)

    assert not result.matched
    assert result.masked == text


def test_each_match_is_starred_and_the_rest_kept():
    result = word_filter_check("you are a sh1t, a b1tch and fine")

    assert result.masked == f"you are a {MASK}, a {MASK} and fine"


def test_a_phrase_is_starred_whole_with_what_separates_its_words():
    assert word_filter_check("a blow   job!").masked == f"a {MASK}!"


def test_a_rooms_own_words_match_with_the_same_leetspeak_and_in_any_case():
    words = "broccoli\nice cream"

    assert word_filter_check("I hate Br0cc0l1", blocked_words=words).masked == f"I hate {MASK}"
    assert word_filter_check("ICE  cream please", blocked_words=words).masked == f"{MASK} please"
    assert not word_filter_check("broccolis", blocked_words=words).matched


def test_a_rooms_words_do_not_leak_into_another_rooms_filter():
    word_filter_check("broccoli", blocked_words="broccoli")

    assert not word_filter_check("broccoli", blocked_words="carrot").matched


def test_words_in_other_scripts_can_be_blocked():
    assert word_filter_check("c'est une merde", blocked_words="merde").masked == f"c'est une {MASK}"

from __future__ import annotations

import uuid

import pytest

from rooms.validation import (
    RESERVED_ROOM_NAMES,
    clean_client_id,
    clean_message_text,
    clean_nickname,
    clean_room_name,
    clean_topic,
    nickname_key,
)
from todaysmeet.errors import Invalid

BIDI_CONTROLS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


class TestRoomName:
    @pytest.mark.parametrize("name", ["abc", "biology-101", "a-b", "x" * 40, "9th-grade", "a--b", "123"])
    def test_lowercase_letters_digits_and_inner_hyphens_are_accepted(self, name):
        assert clean_room_name(name) == name

    def test_uppercase_is_folded_to_lowercase(self):
        assert clean_room_name("Biology-101") == "biology-101"

    def test_surrounding_whitespace_is_ignored(self):
        assert clean_room_name("  biology ") == "biology"

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("ab", id="too-short"),
            pytest.param("x" * 41, id="too-long"),
            pytest.param("-biology", id="leading-hyphen"),
            pytest.param("biology-", id="trailing-hyphen"),
            pytest.param("bio logy", id="space"),
            pytest.param("bio_logy", id="underscore"),
            pytest.param("bio.logy", id="dot"),
            pytest.param("bio/logy", id="slash"),
            pytest.param("biologÿ", id="non-ascii-letter"),
            pytest.param("bio\x00logy", id="nul"),
            pytest.param("", id="empty"),
            pytest.param(None, id="missing"),
            pytest.param(123, id="number"),
        ],
    )
    def test_other_names_are_invalid(self, name):
        with pytest.raises(Invalid) as raised:
            clean_room_name(name)
        assert raised.value.extra["field"] == "name"

    def test_the_spec_reserved_words_are_all_reserved(self):
        spec = {"api", "ws", "static", "media", "admin", "accounts", "rooms", "healthz", "metrics", "about", "help"}
        assert spec | {"new"} <= RESERVED_ROOM_NAMES

    @pytest.mark.parametrize("name", ["api", "admin", "Healthz", "ROOMS", "about", "help", "new", "static"])
    def test_a_reserved_word_is_refused_in_any_case(self, name):
        with pytest.raises(Invalid) as raised:
            clean_room_name(name)
        assert raised.value.code == "name_reserved"


class TestTopic:
    def test_a_missing_topic_is_empty(self):
        assert clean_topic(None) == ""

    def test_the_topic_is_trimmed(self):
        assert clean_topic("  Cells and tissues \n") == "Cells and tissues"

    @pytest.mark.parametrize("topic", ["x" * 201, "a\x07b", "a\u202eb", 5])
    def test_long_topics_control_characters_and_non_text_are_invalid(self, topic):
        with pytest.raises(Invalid):
            clean_topic(topic)


class TestNickname:
    def test_the_nickname_is_trimmed(self):
        assert clean_nickname("  Sam  ") == "Sam"

    @pytest.mark.parametrize("nickname", ["s", "x" * 32, "Zoë", "学生", "🙂" * 32])
    def test_one_to_thirty_two_code_points_are_accepted(self, nickname):
        assert clean_nickname(nickname) == nickname

    @pytest.mark.parametrize(
        "nickname",
        [
            pytest.param("", id="empty"),
            pytest.param("    ", id="only-spaces"),
            pytest.param("x" * 33, id="too-long"),
            pytest.param("🙂" * 33, id="too-many-emoji"),
            pytest.param("sam\x00", id="nul"),
            pytest.param("s\tam", id="tab"),
            pytest.param("s\nam", id="newline"),
            pytest.param("s\x7fam", id="delete"),
            pytest.param("s\x85am", id="c1-control"),
            pytest.param("s\u202eam", id="bidi-override"),
            pytest.param("s\ud800am", id="lone-surrogate"),
            pytest.param(None, id="missing"),
            pytest.param(7, id="number"),
        ],
    )
    def test_bad_nicknames_are_invalid(self, nickname):
        with pytest.raises(Invalid) as raised:
            clean_nickname(nickname)
        assert raised.value.extra["field"] == "nickname"

    @pytest.mark.parametrize(
        "nickname",
        [
            pytest.param("\u3164", id="hangul-filler"),
            pytest.param("\u3164\u3164\u3164", id="hangul-fillers"),
            pytest.param("\u115f", id="hangul-choseong-filler"),
            pytest.param("\u1160", id="hangul-jungseong-filler"),
            pytest.param("\uffa0", id="halfwidth-hangul-filler"),
            pytest.param("\u200b", id="zero-width-space"),
            pytest.param("\u200bSam\u200b", id="zero-width-padded"),
            pytest.param("S\u200cam", id="zero-width-non-joiner"),
            pytest.param("Sa\u200dm", id="joiner-between-letters"),
            pytest.param("\u200fSam", id="right-to-left-mark"),
            pytest.param("\u061cSam", id="arabic-letter-mark"),
            pytest.param("\ufeffSam", id="byte-order-mark"),
            pytest.param("\U000e0053\U000e0061\U000e006dSam", id="tag-characters"),
            pytest.param("\u00adSam", id="soft-hyphen"),
            pytest.param("\u2060Sam", id="word-joiner"),
            pytest.param("\u034fSam", id="combining-grapheme-joiner"),
            pytest.param("\ufe0fSam", id="leading-variation-selector"),
            pytest.param("\U00013430Sam", id="egyptian-format-control"),
            pytest.param("Sa\u2028m", id="line-separator"),
            pytest.param("\u2800", id="braille-blank"),
            pytest.param("\u0301", id="lone-combining-accent"),
        ],
    )
    def test_invisible_and_format_characters_are_invalid(self, nickname):
        with pytest.raises(Invalid) as raised:
            clean_nickname(nickname)
        assert raised.value.extra["field"] == "nickname"

    @pytest.mark.parametrize(
        "nickname",
        [
            "Anna \u2764\ufe0f",
            "\U0001f9d1\U0001f3fd\u200d\U0001f4bb",
            "\U0001f3f3\ufe0f\u200d\U0001f308",
            "1\ufe0f\u20e3",
        ],
    )
    def test_joiners_and_selectors_inside_an_emoji_are_accepted(self, nickname):
        assert clean_nickname(nickname) == nickname

    @pytest.mark.parametrize(
        ("first", "second"),
        [("Ms Smith", "ms  SMITH"), ("Ms Smith", "\uff2d\uff53 Smith"), ("Anna", "Anna\ufe0f"), ("Straße", "STRASSE")],
    )
    def test_names_that_differ_in_case_width_or_joiners_have_one_key(self, first, second):
        assert nickname_key(first) == nickname_key(second)


class TestMessageText:
    def test_text_is_trimmed(self):
        assert clean_message_text("  hello  \n") == "hello"

    def test_crlf_becomes_lf(self):
        assert clean_message_text("one\r\ntwo\r\nthree") == "one\ntwo\nthree"

    def test_inner_newlines_are_kept(self):
        assert clean_message_text("one\n\ntwo") == "one\n\ntwo"

    def test_280_code_points_are_accepted_even_when_each_is_several_bytes(self):
        text = "🙂" * 280
        assert clean_message_text(text) == text

    def test_281_code_points_are_too_long(self):
        with pytest.raises(Invalid) as raised:
            clean_message_text("🙂" * 281)
        assert raised.value.code == "text_too_long"

    def test_length_is_counted_after_trimming(self):
        assert clean_message_text("   " + "x" * 280 + "   ") == "x" * 280

    def test_a_crlf_counts_as_one_character(self):
        text = "x" * 139 + "\r\n" + "y" * 140
        assert len(clean_message_text(text)) == 280

    @pytest.mark.parametrize("text", ["", "   ", "\n\r\n", None, 5, ["hi"]])
    def test_empty_or_non_text_is_invalid(self, text):
        with pytest.raises(Invalid):
            clean_message_text(text)

    @pytest.mark.parametrize("char", ["\x00", "\x07", "\t", "\r", "\x1b", "\x7f", "\x85", "\x9b"])
    def test_control_characters_other_than_newline_are_invalid(self, char):
        with pytest.raises(Invalid):
            clean_message_text(f"a{char}b")

    @pytest.mark.parametrize("char", BIDI_CONTROLS)
    def test_bidi_overrides_and_isolates_are_invalid(self, char):
        with pytest.raises(Invalid):
            clean_message_text(f"a{char}b")

    def test_a_lone_surrogate_is_invalid(self):
        with pytest.raises(Invalid):
            clean_message_text("a\udfffb")

    def test_right_to_left_text_itself_is_fine(self):
        assert clean_message_text("שלום עולם") == "שלום עולם"


class TestClientId:
    def test_missing_is_none(self):
        assert clean_client_id(None) is None

    def test_a_uuid_string_is_parsed(self):
        value = uuid.uuid4()
        assert clean_client_id(str(value)) == value

    def test_case_does_not_matter(self):
        value = uuid.uuid4()
        assert clean_client_id(str(value).upper()) == value

    @pytest.mark.parametrize("value", ["", "abc", "123", 123, {"id": 1}, "g" * 32])
    def test_anything_else_is_invalid(self, value):
        with pytest.raises(Invalid) as raised:
            clean_client_id(value)
        assert raised.value.extra["field"] == "client_id"

"""Rules for what users type: room names, nicknames, message text and room settings."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext

from rooms.models import Room
from todaysmeet.errors import Invalid

ROOM_NAME_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
ROOM_NAME_MIN, ROOM_NAME_MAX = 3, 40
ROOM_NAME_SEARCH_PATTERN = re.compile(r"[a-z0-9-]*")
# Names that would shadow a top-level URL or confuse people. The admin's
# (ADMIN_URL's first segment, whatever the operator chose) is reserved too.
RESERVED_ROOM_NAMES = frozenset(
    {
        "api",
        "ws",
        "static",
        "media",
        "admin",
        "accounts",
        "rooms",
        "healthz",
        "metrics",
        "about",
        "help",
        "new",
        "webhooks",
        "i18n",
        "jsi18n",
    }
)
NICKNAME_MAX = 32
TOPIC_MAX = 200
MESSAGE_MAX = 280
REPORT_REASON_MAX = 200
SLOW_MODE_MAX_SECONDS = 300
ROOM_PASSWORD_MIN, ROOM_PASSWORD_MAX = 6, 128
BLOCKED_WORDS_MAX = 200
BLOCKED_WORD_MAX = 40
# What a teacher may change about a room (PATCH /api/rooms/<name>).
ROOM_SETTINGS = (
    "topic",
    "paused",
    "closed",
    "slow_mode_seconds",
    "password",
    "review",
    "word_filter",
    "blocked_words",
    "anonymous",
    "joining_locked",
)
DEFAULT_LIFETIME = Room.Lifetime.ONE_WEEK
# Bidi overrides and isolates let one message reorder the text around it.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt):
# what a renderer draws as nothing. Most are format characters (category Cf);
# the rest are fillers that look like letters (U+3164 HANGUL FILLER, U+115F,
# U+1160, U+FFA0), variation selectors, and reserved code points.
DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
ZERO_WIDTH_JOINER = "\u200d"
EMOJI_PRESENTATION_SELECTORS = frozenset("\ufe0e\ufe0f")
# Characters that draw nothing although their category says they would.
BLANK_CHARACTERS = frozenset("\u2800")


def _has_forbidden_characters(text: str, *, allowed: str = "") -> bool:
    """Control characters, bidi controls and lone surrogates (which no encoder takes), except `allowed`."""
    return any(
        char not in allowed and (char in BIDI_CONTROLS or unicodedata.category(char) in {"Cc", "Cs"}) for char in text
    )


def room_name_key(name: str) -> str:
    """The form a room name is stored and compared in: URLs may carry any case."""
    return name.lower()


def is_room_name(name: str) -> bool:
    """Whether `name` has the shape of a stored (lowercase) room name."""
    return ROOM_NAME_MIN <= len(name) <= ROOM_NAME_MAX and ROOM_NAME_PATTERN.fullmatch(name) is not None


def could_be_in_room_name(text: str) -> bool:
    """Whether some room name could contain `text` (the empty string included)."""
    return len(text) <= ROOM_NAME_MAX and ROOM_NAME_SEARCH_PATTERN.fullmatch(text) is not None


def clean_room_name(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(gettext("A room name is required."), field="name")
    name = room_name_key(value.strip())
    # Reserved first, so a short one such as "ws" is told why it can't be had.
    if name in RESERVED_ROOM_NAMES or name == settings.ADMIN_URL.split("/", 1)[0]:
        raise Invalid(
            gettext("“%(name)s” is reserved; pick another name.") % {"name": name}, code="name_reserved", field="name"
        )
    if not is_room_name(name):
        raise Invalid(
            gettext(
                "A room name is %(min)s–%(max)s lowercase letters, digits and hyphens,"
                " starting and ending with a letter or digit."
            )
            % {"min": ROOM_NAME_MIN, "max": ROOM_NAME_MAX},
            field="name",
        )
    return name


def clean_topic(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(gettext("The topic must be text."), field="topic")
    topic = value.strip()
    if len(topic) > TOPIC_MAX:
        raise Invalid(gettext("The topic is at most %(max)s characters.") % {"max": TOPIC_MAX}, field="topic")
    if _has_forbidden_characters(topic):
        raise Invalid(gettext("The topic contains characters that are not allowed."), field="topic")
    return topic


def is_default_ignorable(char: str) -> bool:
    point = ord(char)
    return any(first <= point <= last for first, last in DEFAULT_IGNORABLE_RANGES)


def _is_emoji_glue(nickname: str, index: int) -> bool:
    """Whether the joiner or selector at `index` only holds an emoji together.

    A presentation selector follows a visible character (as in "❤️"); a
    zero-width joiner stands between two symbols, skin tones and selectors
    aside (as in "🧑🏽‍💻"). Neither can then make a name look empty, or
    like another name: nickname_key drops them.
    """
    char = nickname[index]
    before = nickname[index - 1] if index else ""
    if char in EMOJI_PRESENTATION_SELECTORS:
        return bool(before) and _is_visible(before)
    if char != ZERO_WIDTH_JOINER:
        return False
    after = nickname[index + 1] if index + 1 < len(nickname) else ""
    base = nickname[:index].rstrip("".join(EMOJI_PRESENTATION_SELECTORS))
    while base and unicodedata.category(base[-1]) == "Sk":
        base = base[:-1]
    return bool(base and after) and unicodedata.category(base[-1]) == "So" and unicodedata.category(after) == "So"


def _is_visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS" and not is_default_ignorable(char) and char not in BLANK_CHARACTERS


def _is_invisible_or_format(nickname: str, index: int) -> bool:
    char = nickname[index]
    if unicodedata.category(char) in {"Cf", "Zl", "Zp"} or is_default_ignorable(char):
        return not _is_emoji_glue(nickname, index)
    return False


def clean_nickname(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(gettext("A nickname is required."), field="nickname")
    nickname = value.strip()
    if not 1 <= len(nickname) <= NICKNAME_MAX:
        raise Invalid(gettext("A nickname is 1–%(max)s characters.") % {"max": NICKNAME_MAX}, field="nickname")
    if _has_forbidden_characters(nickname) or any(
        _is_invisible_or_format(nickname, index) for index in range(len(nickname))
    ):
        raise Invalid(
            gettext("The nickname contains invisible or formatting characters that are not allowed."),
            field="nickname",
        )
    if not any(_is_visible(char) for char in nickname):
        raise Invalid(gettext("A nickname needs at least one visible letter, digit or symbol."), field="nickname")
    return nickname


def nickname_key(name: str) -> str:
    """The form in which two names count as the same: compatibility-folded, any case, joiners dropped."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join("".join(char for char in folded if not is_default_ignorable(char)).split())


def clean_message_text(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid(gettext("Message text is required."), field="text")
    text = value.replace("\r\n", "\n").strip()
    if not text:
        raise Invalid(gettext("A message can't be empty."), field="text")
    # len() counts code points, which is what the page's counter shows too.
    if len(text) > MESSAGE_MAX:
        raise Invalid(
            gettext("A message is at most %(max)s characters.") % {"max": MESSAGE_MAX},
            code="text_too_long",
            field="text",
        )
    if _has_forbidden_characters(text, allowed="\n"):
        raise Invalid(gettext("The message contains characters that are not allowed."), field="text")
    return text


def clean_client_id(value: object) -> uuid.UUID | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(gettext("client_id must be a UUID string."), field="client_id")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Invalid(gettext("client_id must be a UUID."), field="client_id") from None


def clean_lifetime(value: object) -> str:
    if value is None:
        return DEFAULT_LIFETIME
    if value not in Room.Lifetime.values:
        choices = ", ".join(f"“{choice}”" for choice in Room.Lifetime.values)
        raise Invalid(gettext("The lifetime is one of %(choices)s.") % {"choices": choices}, field="lifetime")
    return value


def clean_flag(value: object, *, field: str) -> bool:
    # Only real booleans: a stray "false" string must not pause a room.
    if not isinstance(value, bool):
        raise Invalid(gettext("%(field)s must be true or false.") % {"field": field}, field=field)
    return value


def clean_slow_mode_seconds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SLOW_MODE_MAX_SECONDS:
        raise Invalid(
            gettext("slow_mode_seconds is a whole number from 0 to %(max)s.") % {"max": SLOW_MODE_MAX_SECONDS},
            field="slow_mode_seconds",
        )
    return value


def clean_room_password(value: object) -> str:
    """The new password, or "" to make the room public again."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise Invalid(gettext("The password must be text, or null to remove it."), field="password")
    # Not trimmed: people type exactly what the teacher wrote on the board.
    if not ROOM_PASSWORD_MIN <= len(value) <= ROOM_PASSWORD_MAX:
        raise Invalid(
            gettext("A room password is %(min)s–%(max)s characters.")
            % {"min": ROOM_PASSWORD_MIN, "max": ROOM_PASSWORD_MAX},
            field="password",
        )
    if _has_forbidden_characters(value):
        raise Invalid(gettext("The password contains characters that are not allowed."), field="password")
    return value


def clean_report_reason(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(gettext("The reason must be text."), field="reason")
    reason = value.replace("\r\n", "\n").strip()
    if len(reason) > REPORT_REASON_MAX:
        raise Invalid(gettext("A reason is at most %(max)s characters.") % {"max": REPORT_REASON_MAX}, field="reason")
    if _has_forbidden_characters(reason, allowed="\n"):
        raise Invalid(gettext("The reason contains characters that are not allowed."), field="reason")
    return reason


def clean_word_filter(value: object) -> str:
    if value not in Room.WordFilter.values:
        choices = ", ".join(f"“{choice}”" for choice in Room.WordFilter.values)
        raise Invalid(gettext("word_filter is one of %(choices)s.") % {"choices": choices}, field="word_filter")
    return value


def clean_blocked_words(value: object) -> str:
    """A teacher's own words for the filter, as stored: lowercase, one per line, each once."""
    if value is None:
        return ""
    if not isinstance(value, list) or len(value) > BLOCKED_WORDS_MAX:
        raise Invalid(
            gettext("blocked_words is a list of at most %(max)s words.") % {"max": BLOCKED_WORDS_MAX},
            field="blocked_words",
        )
    words: dict[str, None] = {}
    for raw in value:
        word = raw.strip().lower() if isinstance(raw, str) else ""
        if (
            not 1 <= len(word) <= BLOCKED_WORD_MAX
            or _has_forbidden_characters(word)
            or not _has_letters_or_digits(word)
        ):
            raise Invalid(
                gettext("Each blocked word is 1–%(max)s characters, with at least one letter or digit.")
                % {"max": BLOCKED_WORD_MAX},
                field="blocked_words",
            )
        words[word] = None
    return "\n".join(words)


def _has_letters_or_digits(word: str) -> bool:
    return any(character.isalnum() for character in word)


@dataclass(frozen=True)
class RoomChanges:
    """A teacher's changes to a room, each one valid; None leaves that setting as it is."""

    topic: str | None = None
    paused: bool | None = None
    closed: bool | None = None
    slow_mode_seconds: int | None = None
    # "" makes the room public again.
    password: str | None = None
    review: bool | None = None
    word_filter: str | None = None
    # As stored: one word per line.
    blocked_words: str | None = None
    anonymous: bool | None = None
    joining_locked: bool | None = None


def clean_room_changes(changes: Mapping[str, object]) -> RoomChanges:
    for key in changes:
        if key not in ROOM_SETTINGS:
            raise Invalid(gettext("“%(key)s” is not a room setting that can be changed.") % {"key": key}, field=key)
    return RoomChanges(
        topic=clean_topic(changes["topic"]) if "topic" in changes else None,
        paused=clean_flag(changes["paused"], field="paused") if "paused" in changes else None,
        closed=clean_flag(changes["closed"], field="closed") if "closed" in changes else None,
        slow_mode_seconds=(
            clean_slow_mode_seconds(changes["slow_mode_seconds"]) if "slow_mode_seconds" in changes else None
        ),
        password=clean_room_password(changes["password"]) if "password" in changes else None,
        review=clean_flag(changes["review"], field="review") if "review" in changes else None,
        word_filter=clean_word_filter(changes["word_filter"]) if "word_filter" in changes else None,
        blocked_words=clean_blocked_words(changes["blocked_words"]) if "blocked_words" in changes else None,
        anonymous=clean_flag(changes["anonymous"], field="anonymous") if "anonymous" in changes else None,
        joining_locked=(
            clean_flag(changes["joining_locked"], field="joining_locked") if "joining_locked" in changes else None
        ),
    )


# What a moderator may change about a message (PATCH …/messages/<id>).
MESSAGE_SETTINGS = ("pinned", "answered")


@dataclass(frozen=True)
class MessageChanges:
    pinned: bool | None = None
    answered: bool | None = None


def clean_message_changes(changes: Mapping[str, object]) -> MessageChanges:
    for key in changes:
        if key not in MESSAGE_SETTINGS:
            raise Invalid(
                gettext("“%(key)s” is not something about a message that can be changed.") % {"key": key}, field=key
            )
    return MessageChanges(
        pinned=clean_flag(changes["pinned"], field="pinned") if "pinned" in changes else None,
        answered=clean_flag(changes["answered"], field="answered") if "answered" in changes else None,
    )

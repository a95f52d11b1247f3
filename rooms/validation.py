"""Rules for what users type: room names, nicknames and message text."""

from __future__ import annotations

import re
import unicodedata
import uuid

from todaysmeet.errors import Invalid

ROOM_NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
ROOM_NAME_MIN, ROOM_NAME_MAX = 3, 40
# Names that would shadow a top-level URL or confuse people.
RESERVED_ROOM_NAMES = frozenset(
    {"api", "ws", "static", "media", "admin", "accounts", "rooms", "healthz", "metrics", "about", "help", "new"}
)
NICKNAME_MAX = 32
TOPIC_MAX = 200
MESSAGE_MAX = 280
# Bidi overrides and isolates let one message reorder the text around it.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def clean_room_name(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid("A room name is required.", field="name")
    name = value.strip().lower()
    if not ROOM_NAME_MIN <= len(name) <= ROOM_NAME_MAX or not ROOM_NAME_PATTERN.match(name):
        raise Invalid(
            "A room name is 3–40 lowercase letters, digits and hyphens, starting and ending with a letter or digit.",
            field="name",
        )
    if name in RESERVED_ROOM_NAMES:
        raise Invalid(f"“{name}” is reserved; pick another name.", code="name_reserved", field="name")
    return name


def clean_topic(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid("The topic must be text.", field="topic")
    topic = value.strip()
    if len(topic) > TOPIC_MAX:
        raise Invalid(f"The topic is at most {TOPIC_MAX} characters.", field="topic")
    if any(_is_control(char) or char in BIDI_CONTROLS for char in topic):
        raise Invalid("The topic contains characters that are not allowed.", field="topic")
    return topic


def clean_nickname(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid("A nickname is required.", field="nickname")
    nickname = value.strip()
    if not 1 <= len(nickname) <= NICKNAME_MAX:
        raise Invalid(f"A nickname is 1–{NICKNAME_MAX} characters.", field="nickname")
    if any(_is_control(char) or char in BIDI_CONTROLS for char in nickname):
        raise Invalid("The nickname contains characters that are not allowed.", field="nickname")
    return nickname


def clean_message_text(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid("Message text is required.", field="text")
    text = value.replace("\r\n", "\n").strip()
    if not text:
        raise Invalid("A message can't be empty.", field="text")
    # len() counts code points, which is what the page's counter shows too.
    if len(text) > MESSAGE_MAX:
        raise Invalid(f"A message is at most {MESSAGE_MAX} characters.", code="text_too_long", field="text")
    if any((_is_control(char) and char != "\n") or char in BIDI_CONTROLS for char in text):
        raise Invalid("The message contains characters that are not allowed.", field="text")
    return text


def clean_client_id(value: object) -> uuid.UUID | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("client_id must be a UUID string.", field="client_id")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Invalid("client_id must be a UUID.", field="client_id") from None

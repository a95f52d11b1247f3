"""Permission matrices: one expected answer per persona (see rooms/tests/conftest.py)."""

from __future__ import annotations

import pytest

# Who may knock on a room's door, from least to most trusted.
PERSONAS = ("anonymous", "participant", "muted", "other_teacher", "moderator", "owner")

ALLOWED = "allowed"
UNAUTHENTICATED = (401, "unauthenticated")
NOT_MODERATOR = (403, "not_moderator")
NOT_OWNER = (403, "not_owner")
NOT_PARTICIPANT = (403, "not_participant")


def matrix(**expected: object) -> list:
    """pytest parameters (persona, expected) covering every persona, in PERSONAS order."""
    assert set(expected) == set(PERSONAS), set(PERSONAS) ^ set(expected)
    return [pytest.param(persona, expected[persona], id=persona) for persona in PERSONAS]


MODERATORS_ONLY = matrix(
    anonymous=UNAUTHENTICATED,
    participant=NOT_MODERATOR,
    muted=NOT_MODERATOR,
    other_teacher=NOT_MODERATOR,
    moderator=ALLOWED,
    owner=ALLOWED,
)
OWNER_ONLY = matrix(
    anonymous=UNAUTHENTICATED,
    participant=NOT_OWNER,
    muted=NOT_OWNER,
    other_teacher=NOT_OWNER,
    moderator=NOT_OWNER,
    owner=ALLOWED,
)

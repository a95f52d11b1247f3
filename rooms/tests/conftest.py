"""The people around a room that the teacher-tools tests speak of.

Each persona holds a bearer token, so a test can act as anyone in one line;
`token_of` turns a persona's name into its token, for permission matrices.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import Persona, moderator_made
from rooms import services

# Websocket clients, as the streaming tests open them: the fixture also knows
# how to release what the server's threads hold when a test ends.
from streaming.tests.conftest import listen  # noqa: F401


@pytest.fixture
def moderator(room, make_teacher) -> Persona:
    """A colleague the owner made a moderator of the room."""
    helper = make_teacher("helper@school.example")
    moderator_made(room, helper.obj)
    return helper


@pytest.fixture
def muted(room, make_participant) -> Persona:
    """A participant a teacher has muted."""
    loud = make_participant(room, "loud")
    services.participant_mute(room=room, participant=loud.obj, muted=True)
    return loud


@pytest.fixture
def token_of(participant, muted, other_teacher, moderator, owner) -> Callable[[str], str | None]:
    tokens = {
        "anonymous": None,
        "participant": participant.token,
        "muted": muted.token,
        "other_teacher": other_teacher.token,
        "moderator": moderator.token,
        "owner": owner.token,
    }
    return tokens.__getitem__

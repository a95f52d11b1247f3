"""The one place the application asks for the time.

Tests move this clock forward instead of sleeping (see the `clock` fixture),
and freeze it where real time passing during the test would change the answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

_offset = timedelta(0)
_frozen_at: datetime | None = None


def now() -> datetime:
    base = _frozen_at if _frozen_at is not None else timezone.now()
    return base + _offset


def advance(delta: timedelta) -> None:
    global _offset
    _offset += delta


def freeze() -> None:
    """Stop real time here: from now on only advance() moves the clock, until reset()."""
    global _frozen_at
    _frozen_at = timezone.now()


def reset() -> None:
    global _offset, _frozen_at
    _offset = timedelta(0)
    _frozen_at = None

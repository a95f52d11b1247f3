"""Limits on guessing: teacher sign-in and room passwords.

Failed attempts are counted per client address and per target (the email
signed in to, the room joined) in fixed windows, in the cache, which every
process shares through Redis (django-ratelimit keeps the counters). Once
either count reaches its limit, every attempt at that target from anywhere, or
from that address at anything, is refused with 429 and Retry-After until the
window ends, right or wrong, without checking the password. Only failures
count, so a class typing a room's password right is never slowed.

The per-target limit means a stranger can hold one target shut for a window
by guessing wrong; the limits and window are settings (docs/security.md).
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from todaysmeet.errors import RateLimited

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Guessing:
    """One kind of guess: its name, and the settings that hold its two limits."""

    name: str
    per_address_setting: str
    per_target_setting: str
    refusal: str


SIGN_IN = Guessing(
    name="sign-in",
    per_address_setting="SIGN_IN_FAILURES_PER_ADDRESS",
    per_target_setting="SIGN_IN_FAILURES_PER_ACCOUNT",
    refusal="Too many failed sign-ins.",
)
ROOM_PASSWORD = Guessing(
    name="room-password",
    per_address_setting="ROOM_PASSWORD_FAILURES_PER_ADDRESS",
    per_target_setting="ROOM_PASSWORD_FAILURES_PER_ROOM",
    refusal="Too many wrong room passwords.",
)


def client_address(request: HttpRequest) -> str:
    """The client's IP address: the connection's, or the trusted proxy's header (CLIENT_ADDRESS_HEADER).

    The last address in the header is the one our proxy saw (nginx's
    $proxy_add_x_forwarded_for appends it; X-Real-IP holds only it).
    """
    if settings.CLIENT_ADDRESS_HEADER:
        meta_name = "HTTP_" + settings.CLIENT_ADDRESS_HEADER.upper().replace("-", "_")
        forwarded = request.META.get(meta_name, "").rpartition(",")[2].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (a unix socket has no address)


def _usages(request: HttpRequest, guessing: Guessing, target: str, *, increment: bool) -> list[dict]:
    window = settings.FAILED_ATTEMPT_WINDOW_SECONDS
    counters = [
        # "ip" is client_address (RATELIMIT_IP_META_KEY), an IPv6 client by its /64.
        (f"{guessing.name}:address", "ip", getattr(settings, guessing.per_address_setting)),
        (f"{guessing.name}:target", lambda _group, _request: target, getattr(settings, guessing.per_target_setting)),
    ]
    try:
        usages = [
            get_usage(request, group=group, key=key, rate=f"{limit}/{window}s", increment=increment)
            for group, key, limit in counters
        ]
    except RedisError:
        # Guessing stays possible while Redis is away rather than signing-in
        # and joining failing: a restart or failover takes seconds.
        logger.warning("could not count %s attempts; not limiting", guessing.name, exc_info=True)
        return []
    return [usage for usage in usages if usage is not None]


def refuse_if_too_many_failures(request: HttpRequest, guessing: Guessing, *, target: str) -> None:
    for usage in _usages(request, guessing, target, increment=False):
        if usage["count"] >= usage["limit"]:
            seconds = max(1, usage["time_left"])
            minutes = math.ceil(seconds / 60)
            raise RateLimited(
                f"{guessing.refusal} Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                code="too_many_attempts",
                retry_after=seconds,
            )


def count_failure(request: HttpRequest, guessing: Guessing, *, target: str) -> None:
    _usages(request, guessing, target, increment=True)

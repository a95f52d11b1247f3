"""Limits on attempts: guessing (teacher sign-in, room passwords), and joining rooms.

Attempts are counted per client address and per target (the email signed
in to, the room joined) in fixed windows, in the cache, which every process
shares through Redis (django-ratelimit keeps the counters). Once either count
reaches its limit, every attempt at that target from anywhere, or from that
address, is refused with 429 and Retry-After until the window ends.

For guessing only failures count, so a class typing a room's password right
is never slowed, and the address counts at every target, right or wrong,
without checking the password. Joins all count, and an address counts per
room: a school's address joining many rooms is many classes.

The per-target limit means a stranger can hold one target shut for a window
by guessing wrong; the limits and windows are settings (docs/security.md).
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from todaysmeet.errors import RateLimited

logger = logging.getLogger(__name__)

# An IPv6 client usually holds a whole /64; counting single addresses would
# let it change address at will.
IPV6_NETWORK_PREFIX = 64


@dataclass(frozen=True)
class Attempts:
    """One kind of attempt: its name, and the settings that hold its two limits and their window."""

    name: str
    per_address_setting: str
    per_target_setting: str
    # Translated when the refusal is made, in the language of the request refused.
    refusal: Promise
    window_setting: str = "FAILED_ATTEMPT_WINDOW_SECONDS"
    # Whether an address is counted at each target apart, or at all of them together.
    address_per_target: bool = False


SIGN_IN = Attempts(
    name="sign-in",
    per_address_setting="SIGN_IN_FAILURES_PER_ADDRESS",
    per_target_setting="SIGN_IN_FAILURES_PER_ACCOUNT",
    refusal=gettext_lazy("Too many failed sign-ins."),
)
ROOM_PASSWORD = Attempts(
    name="room-password",
    per_address_setting="ROOM_PASSWORD_FAILURES_PER_ADDRESS",
    per_target_setting="ROOM_PASSWORD_FAILURES_PER_ROOM",
    refusal=gettext_lazy("Too many wrong room passwords."),
)
JOINING = Attempts(
    name="join",
    per_address_setting="JOINS_PER_ADDRESS",
    per_target_setting="JOINS_PER_ROOM",
    refusal=gettext_lazy("Too many people joined this room from here just now."),
    window_setting="JOIN_WINDOW_SECONDS",
    address_per_target=True,
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


def client_network(request: HttpRequest) -> str:
    """The address that stands for one client: an IPv4 address, or the /64 an IPv6 client's home or school holds.

    django-ratelimit counts IPv6 clients the same way (RATELIMIT_IPV6_MASK, 64 by default).
    """
    address = ipaddress.ip_address(client_address(request))
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_NETWORK_PREFIX}", strict=False).network_address)
    return str(address)


def _usages(request: HttpRequest, attempts: Attempts, target: str, *, increment: bool) -> list[dict]:
    window = getattr(settings, attempts.window_setting)
    # "ip" is client_address (RATELIMIT_IP_META_KEY), an IPv6 client by its /64.
    address_group = f"{attempts.name}:address:{target}" if attempts.address_per_target else f"{attempts.name}:address"
    counters = [
        (address_group, "ip", getattr(settings, attempts.per_address_setting)),
        (f"{attempts.name}:target", lambda _group, _request: target, getattr(settings, attempts.per_target_setting)),
    ]
    try:
        usages = [
            get_usage(request, group=group, key=key, rate=f"{limit}/{window}s", increment=increment)
            for group, key, limit in counters
        ]
    except RedisError:
        # Guessing stays possible while Redis is away rather than signing-in
        # and joining failing: a restart or failover takes seconds.
        logger.warning("could not count %s attempts; not limiting", attempts.name, exc_info=True)
        return []
    return [usage for usage in usages if usage is not None]


def refuse_if_over_limit(request: HttpRequest, attempts: Attempts, *, target: str) -> None:
    for usage in _usages(request, attempts, target, increment=False):
        if usage["count"] >= usage["limit"]:
            seconds = max(1, usage["time_left"])
            minutes = math.ceil(seconds / 60)
            wait = ngettext("Try again in %(minutes)s minute.", "Try again in %(minutes)s minutes.", minutes) % {
                "minutes": minutes
            }
            raise RateLimited(
                f"{attempts.refusal} {wait}",
                code="too_many_attempts",
                retry_after=seconds,
            )


def count_attempt(request: HttpRequest, attempts: Attempts, *, target: str) -> None:
    _usages(request, attempts, target, increment=True)

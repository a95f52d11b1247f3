"""Who is joining a room, beyond a session: the browser's key and the network address.

A session remembers the participant a browser joined as, and a student can
shed it by clearing cookies or opening a private window. So joining also
looks at:

- the browser key, a long-lived signed cookie: the same browser joining
  again, under any nickname, is the same participant, with its mute, its
  limits and its reports;
- the network address, which clearing cookies doesn't change. A classroom
  shares one, so rules on it are per room and only look forward: a mute
  passes to identities made from the address *after* it (docs/security.md).

Participants keep only hashes of either: SHA-256 of the key, and a keyed
hash of the address, never the address itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from todaysmeet.attempts import client_network
from todaysmeet.tokens import token_hash

BROWSER_KEY_COOKIE = "browser_key"
# Renewed at every join, so a browser that keeps coming back keeps its key.
BROWSER_KEY_MAX_AGE = timedelta(days=365)


def _signer() -> signing.TimestampSigner:
    # Signed here rather than with request.get_signed_cookie: a websocket
    # reads it too, and has no request.
    return signing.TimestampSigner(salt="rooms.identity.browser_key")


def browser_key_from_cookies(cookies: Mapping[str, str]) -> str | None:
    """The browser's key, if its cookie is one we signed (an HTTP request's or a websocket's cookies)."""
    signed = cookies.get(BROWSER_KEY_COOKIE)
    if not signed:
        return None
    try:
        return _signer().unsign(signed, max_age=BROWSER_KEY_MAX_AGE)
    except signing.BadSignature:
        return None


def browser_key_new() -> str:
    return secrets.token_urlsafe(24)


def browser_key_set(response: HttpResponse, key: str) -> None:
    response.set_cookie(
        BROWSER_KEY_COOKIE,
        _signer().sign(key),
        max_age=int(BROWSER_KEY_MAX_AGE.total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def browser_key_hash(key: str | None) -> str:
    return token_hash(key) if key else ""


def address_hash(request: HttpRequest) -> str:
    """A keyed hash of the request's network address (an IPv6 client's /64): comparable, not reversible."""
    return salted_hmac("rooms.identity.address", client_network(request), algorithm="sha256").hexdigest()

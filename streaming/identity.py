"""Who opened a socket: what the handshake tells for free, and the rest when a close needs it.

A room's close can be for some of its sockets only (streaming/publish.py's
SocketSelector): a participant a teacher removed, a co-moderator the owner
removed, a browser that signed out. The handshake's cookies and `?token=`
answer most of those without the database (the session key, the browser
key, the token's hash); the rest (whose session this is) is read when a
close asks, from the session as it is then, not as it was at the handshake.
Nothing is read at the handshake, so a storm of connects costs no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from rooms.access import Actor, socket_actor
from rooms.identity import browser_key_from_cookies, browser_key_hash
from streaming.publish import SocketSelector
from todaysmeet.tokens import token_hash


@dataclass(frozen=True)
class SocketIdentity:
    token: str | None
    session_key: str | None
    browser_key_hash: str

    @property
    def token_hash(self) -> str:
        return token_hash(self.token) if self.token else ""

    def actor(self) -> Actor:
        """Whoever the token or the session names now. Sync: it reads the database."""
        session: Any = {}
        if self.token is None and self.session_key is not None:
            session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=self.session_key)
        return socket_actor(token=self.token, session=session)

    async def is_selected(self, only: SocketSelector, room_id: int) -> bool:
        if "session" in only:
            return self.session_key is not None and self.session_key == only["session"]
        if "participant" in only:
            if self.browser_key_hash and self.browser_key_hash == only.get("browser_key_hash"):
                return True
            if self.token_hash and self.token_hash == only.get("token_hash"):
                return True
        if self.token is None and self.session_key is None:
            # Nobody the database could name.
            return False
        actor = await database_sync_to_async(self.actor)()
        if "participant" in only:
            participant_id = actor.participant.pk if actor.participant else actor.session_participant_ids.get(room_id)
            return participant_id == only["participant"]
        return actor.teacher is not None and actor.teacher.pk == only.get("teacher")


def socket_identity(scope: dict, token: str | None) -> SocketIdentity:
    cookies = scope.get("cookies") or {}
    return SocketIdentity(
        token=token,
        session_key=cookies.get(settings.SESSION_COOKIE_NAME) or None,
        browser_key_hash=browser_key_hash(browser_key_from_cookies(cookies)),
    )

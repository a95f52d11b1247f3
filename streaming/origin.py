"""Refuse websocket handshakes from pages of any other origin.

A browser opens a websocket to any site it likes, with that site's cookies,
so the handshake's Origin is checked exactly, by the same rule as API writes
(todaysmeet/origins.py). Channels' AllowedHostsOriginValidator compares the
host alone, and also refuses clients that send no Origin at all; those are
not browsers (no ambient cookies to abuse), and our protocol is public
read-only, so they are let through here.
"""

from __future__ import annotations

import logging

from channels.security.websocket import WebsocketDenier
from django.conf import settings

from todaysmeet.origins import is_trusted_origin, own_origin

logger = logging.getLogger(__name__)


def _header(scope, name: bytes) -> str | None:
    return next((value.decode("latin-1") for key, value in scope.get("headers", []) if key == name), None)


def socket_scheme(scope) -> str:
    """http or https, as Django's request.scheme would say for this handshake."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        forwarded = _header(scope, meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1"))
        if forwarded is not None:
            return "https" if forwarded.split(",", 1)[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme") in {"wss", "https"} else "http"


def origin_allowed(scope, origin: str) -> bool:
    own = own_origin(scheme=socket_scheme(scope), host=_header(scope, b"host") or "")
    return is_trusted_origin(origin, own=own)


class OriginValidator:
    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            origin = _header(scope, b"origin")
            if origin is not None and not origin_allowed(scope, origin):
                logger.warning("websocket refused: origin %r is not allowed", origin)
                # Denying before accept makes the server answer the handshake with 403.
                return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

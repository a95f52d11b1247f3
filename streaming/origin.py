"""Refuse websocket handshakes from pages on other sites.

Channels' AllowedHostsOriginValidator also refuses clients that send no
Origin at all; those are not browsers (no ambient cookies to abuse), and our
protocol is public read-only, so they are let through here.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

logger = logging.getLogger(__name__)


def origin_allowed(origin: str) -> bool:
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return False
    domain, _port = split_domain_port(parts.netloc.lower())
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class OriginValidator:
    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            origin = next((value for name, value in scope.get("headers", []) if name == b"origin"), None)
            if origin is not None and not origin_allowed(origin.decode("latin-1")):
                logger.warning("websocket refused: origin %r is not allowed", origin.decode("latin-1"))
                # Denying before accept makes the server answer the handshake with 403.
                return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

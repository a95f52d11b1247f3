"""The sockets this process holds, so a restart can hand them off gently.

On SIGTERM the server stops accepting, then closes its sockets with 1012
("service restart") spread over a few seconds: clients reconnect to another
process and resume with `since`, and the other processes see a trickle of
reconnects instead of a storm.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

from streaming.close_codes import CLOSE_SERVICE_RESTART
from todaysmeet.metrics import WEBSOCKETS_OPEN, gauge_from

logger = logging.getLogger(__name__)


class ClosableSocket(Protocol):
    async def close(self, code: int | None = None) -> None: ...


_open_sockets: weakref.WeakSet[ClosableSocket] = weakref.WeakSet()
_draining = False
gauge_from(WEBSOCKETS_OPEN, lambda: len(_open_sockets))


def socket_opened(socket: ClosableSocket) -> None:
    _open_sockets.add(socket)


def socket_closed(socket: ClosableSocket) -> None:
    _open_sockets.discard(socket)


def is_draining() -> bool:
    return _draining


async def drain_sockets(*, spread_seconds: float) -> int:
    """Close every open socket with 1012, evenly spaced over `spread_seconds`."""
    global _draining
    _draining = True
    sockets = list(_open_sockets)
    if not sockets:
        return 0
    loop = asyncio.get_running_loop()
    started = loop.time()
    interval = spread_seconds / len(sockets)
    for index, socket in enumerate(sockets):
        delay = started + index * interval - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            await socket.close(code=CLOSE_SERVICE_RESTART)
        except Exception:
            logger.debug("socket was already gone while draining", exc_info=True)
    logger.info("closed %d sockets for restart over %.1fs", len(sockets), loop.time() - started)
    return len(sockets)

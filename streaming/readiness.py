"""Telling a supervisor that this process serves, in systemd's notify protocol.

A supervisor that wants to know (deploy/cluster, or systemd with
`Type=notify`) names a datagram socket in NOTIFY_SOCKET, and the process
sends it `READY=1` once it can serve. deploy/cluster hands a replacement the
listening socket of the process it replaces and stops the old one only after
that message, so the socket always has a process accepting from it.

Ready means listening and healthy (what /healthz checks, asked in-process:
a request to the shared port could be answered by the old process). A
replacement that never gets there is never announced, and the supervisor
keeps the old one.

The protocol is one datagram per state change, so it is written here rather
than taken from a library.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

NOT_READY_RETRY_SECONDS = 0.5


def supervisor_socket() -> str | None:
    """NOTIFY_SOCKET as an address for sendto (a leading @ is the abstract namespace), or None."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return None
    return "\0" + address[1:] if address.startswith("@") else address


def notify_supervisor(state: str) -> None:
    address = supervisor_socket()
    if address is None:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sender:
        sender.sendto(state.encode(), address)


async def announce_when_healthy(health_report: Callable[[], Awaitable[dict]]) -> None:
    """Send READY=1 once `health_report()` says ok; until then ask again, every half second."""
    while True:
        report = await health_report()
        if report["status"] == "ok":
            break
        logger.warning("not ready to serve yet: %s", report)
        await asyncio.sleep(NOT_READY_RETRY_SECONDS)
    try:
        notify_supervisor("READY=1")
    except OSError:
        # The supervisor is gone; it would have been told nothing else.
        logger.exception("could not tell the supervisor this process is ready")
    else:
        logger.info("ready: told the supervisor")

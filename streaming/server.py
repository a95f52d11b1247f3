"""A Daphne server that restarts without anyone noticing, and that no slow client can bloat.

Plain Daphne, on SIGTERM, cancels every consumer without a close frame and
without running disconnect(), and drops requests in flight. This one, on
SIGTERM or SIGINT: stops accepting, closes its sockets with 1012 spread over
`drain_seconds`, waits up to `http_grace_seconds` for running HTTP requests
and closing sockets, then stops. A second signal stops at once.

Stopping to accept is where a connection can be lost. Closing a listening
socket resets every connection the kernel has queued on it but nobody has
accepted yet (Linux migrates them to another SO_REUSEPORT listener only with
net.ipv4.tcp_migrate_req=1). So under a supervisor the socket is not ours:
deploy/cluster opens it and hands it over (`manage.py serve --fd`), each
process adopts a copy, and stopping closes only that copy. What is queued
stays queued for the replacement, which accepts from the same socket before
this process stops (streaming/readiness.py). A process that opened its own
socket (`--port` alone) closes it, and its queue with it.

Every frame a consumer sends also passes through here, where the socket's
unsent output is visible (see `handle_reply`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket

from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import reactor

from streaming.close_codes import CLOSE_SERVICE_RESTART, CLOSE_TOO_SLOW
from streaming.http_guard import HttpLimits, guard_connections
from streaming.hub import room_hub_close
from streaming.lifecycle import drain_sockets
from streaming.publish import queued_sends_made
from streaming.readiness import announce_when_healthy, supervisor_socket
from streaming.signals import call_on_signals
from todaysmeet.health import health_report
from todaysmeet.metrics import SLOW_CLIENT_CUTOFFS

logger = logging.getLogger(__name__)

# The kernel's own send buffer for a websocket (Linux doubles what is asked).
# Left to autotuning it grows to tcp_wmem's maximum, 4 MiB, for a client that
# stopped reading: kernel memory per stuck socket that no limit here would
# see. A chat stream needs far less, and the rest waits, counted, in Twisted.
WEBSOCKET_KERNEL_SEND_BUFFER = 64 * 1024
SHUTDOWN_POLL_SECONDS = 0.02
# How long a client told "service restart" has to answer the close before its
# connection is aborted, a reset that a proxy logs as an error. Autobahn's
# 1 s is short for a loaded client (or one behind a loaded proxy), and the
# drain waits for its sockets anyway.
RESTART_CLOSE_ANSWER_SECONDS = 5.0


def pending_output_bytes(transport) -> int:
    """Bytes written to a socket's transport that the kernel has not taken yet.

    ASGI has no back-pressure: `send` returns as soon as Twisted has the
    frame, and Twisted buffers a socket that doesn't read without limit. Its
    FileDescriptor keeps that buffer in `dataBuffer` (sent up to `offset`)
    plus `_tempDataBuffer`, whose size it tracks in `_tempDataLen`. A TLS
    transport wraps the TCP one and passes its output straight down, so the
    buffer is looked for one level below too. These are Twisted's internals
    (see requirements.txt); tests/integration/test_slow_client.py fails if
    they move.
    """
    for candidate in (transport, getattr(transport, "transport", None)):
        if candidate is not None and hasattr(candidate, "dataBuffer") and hasattr(candidate, "_tempDataLen"):
            return len(candidate.dataBuffer) - candidate.offset + candidate._tempDataLen
    return 0


class OrderlyClosingWebSocket(WebSocketProtocol):
    """Daphne's websocket, whose TCP connection ends with a FIN once its close handshake completed.

    Autobahn, as a server, aborts the connection (RST) the moment a client
    answers the close frame the server sent. A proxy logs each such reset as
    an error (nginx: "recv() failed (104: Connection reset by peer) while
    proxying upgraded connection"), one per socket a restart closes with 1012.
    After a clean handshake nothing is left to send or read, so an orderly
    close costs nothing; a close the client never answered is still aborted.
    """

    def _closeConnection(self, abort: bool = False) -> None:
        super()._closeConnection(abort=abort and not getattr(self, "wasClean", False))


class GracefulServer(Server):
    def __init__(
        self,
        *args,
        drain_seconds: float = 3.0,
        http_grace_seconds: float = 10.0,
        send_buffer_limit: int,
        http_limits: HttpLimits | None = None,
        **kwargs,
    ) -> None:
        kwargs.setdefault("signal_handlers", False)
        # The stream is receive-only; nothing a client sends needs more than
        # this. (Autobahn applies the same limit to what we send: our largest
        # frame, a hello or a 280-character message, stays well under it.)
        kwargs.setdefault("websocket_max_message_size", 4096)
        kwargs.setdefault("websocket_max_frame_size", 4096)
        kwargs.setdefault("ready_callable", self._started)
        super().__init__(*args, **kwargs)
        self.drain_seconds = drain_seconds
        self.http_grace_seconds = http_grace_seconds
        self.send_buffer_limit = send_buffer_limit
        self.ports: list = []
        self.draining = False
        self.http_limits = http_limits
        self.listen_failure: str | None = None
        self._announcing: asyncio.Task | None = None

    def listen_success(self, port) -> None:
        self.ports.append(port)
        self._guard_http(port)
        # Daphne's run() has built its websocket factory by now, and nothing has connected yet.
        self.ws_factory.protocol = OrderlyClosingWebSocket
        super().listen_success(port)

    # --- Listening and HTTP connection limits (streaming/http_guard.py) -----

    def _guard_http(self, port) -> None:
        # Daphne's run() builds its HTTP factory and listens with it at once;
        # nothing has connected before the reactor runs, so this is the moment.
        if self.http_limits is not None:
            guard_connections(port.factory, self.http_limits)

    def listen_error(self, failure) -> None:
        # Daphne logs this and stops, and the process would exit 0 as if it
        # had served; `manage.py serve` turns it into an error exit instead.
        self.listen_failure = failure.getErrorMessage()
        super().listen_error(failure)

    def protocol_connected(self, protocol) -> None:
        super().protocol_connected(protocol)
        if isinstance(protocol, WebSocketProtocol):
            try:
                protocol.transport.getHandle().setsockopt(
                    socket.SOL_SOCKET, socket.SO_SNDBUF, WEBSOCKET_KERNEL_SEND_BUFFER
                )
            except (AttributeError, OSError):
                logger.debug("could not size the send buffer of %r", protocol, exc_info=True)

    async def handle_reply(self, protocol, message) -> None:
        if isinstance(protocol, WebSocketProtocol) and protocol.state != protocol.STATE_CONNECTING:
            kind = message.get("type")
            if kind == "websocket.send":
                # A closing socket takes no more frames (autobahn would raise),
                # and its client is about to resume with `since` anyway.
                if protocol.state != protocol.STATE_OPEN:
                    return
                if pending_output_bytes(protocol.transport) > self.send_buffer_limit:
                    self._cut_off(protocol)
                    return
            elif kind == "websocket.close":
                self._close(protocol, message.get("code") or 1000)
                return
        await super().handle_reply(protocol, message)

    @staticmethod
    def _close(protocol: WebSocketProtocol, code: int) -> None:
        # Autobahn's sendClose refuses codes outside 1000 and 3000-4999, so
        # Daphne can't send 1012 (service restart) or 1013 (try again later),
        # which RFC 6455's registry defines and browsers report as they are.
        # sendCloseFrame is the step after its check; it ignores a socket
        # that is already closing.
        if code == CLOSE_SERVICE_RESTART:
            protocol.closeHandshakeTimeout = RESTART_CLOSE_ANSWER_SECONDS
        protocol.sendCloseFrame(code=code, isReply=False)

    def _cut_off(self, protocol: WebSocketProtocol) -> None:
        """Stop feeding a socket whose client stopped reading.

        It gets no more frames, only a 1013 close behind what it already
        has. A client that is slow but alive may drain that and see the code;
        one that doesn't answer within autobahn's close handshake timeout
        (1 s) is aborted, which drops the buffer. Either way it reconnects
        and resumes with `since`, and the server holds at most the limit
        plus one frame for it meanwhile.
        """
        SLOW_CLIENT_CUTOFFS.labels("send_buffer").inc()
        logger.warning(
            "cutting off %r: %d bytes unsent, limit %d",
            protocol,
            pending_output_bytes(protocol.transport),
            self.send_buffer_limit,
        )
        self._close(protocol, CLOSE_TOO_SLOW)

    def _started(self) -> None:
        loop = asyncio.get_event_loop()
        # Not loop.add_signal_handler: a busy loop can lose its signals (streaming/signals.py).
        call_on_signals(loop, self.begin_shutdown, (signal.SIGTERM, signal.SIGINT))
        if supervisor_socket() is not None:
            self._announcing = loop.create_task(announce_when_healthy(health_report))

    def begin_shutdown(self) -> None:
        if self.draining:
            logger.warning("second signal: stopping now")
            self.stop()
            return
        self.draining = True
        if self._announcing is not None:
            # Never tell a supervisor "ready" on the way out.
            self._announcing.cancel()
        logger.info("shutting down: no new connections, draining sockets over %.1fs", self.drain_seconds)
        for port in self.ports:
            # An adopted socket is only closed here, never shut down (Twisted
            # skips shutdown() for it): its queue stays for the replacement.
            port.stopListening()
        task = asyncio.get_event_loop().create_task(self._drain())
        task.add_done_callback(lambda _: reactor.callLater(0, self.stop))

    async def _drain(self) -> None:
        try:
            await drain_sockets(spread_seconds=self.drain_seconds)
            # Sockets of an application that doesn't register them with
            # streaming.lifecycle (the benchmark's baseline) get 1012 too.
            for protocol in list(self.connections):
                if isinstance(protocol, WebSocketProtocol) and protocol.state == protocol.STATE_OPEN:
                    self._close(protocol, CLOSE_SERVICE_RESTART)
            await self._wait_for_connections()
            # The last requests' events, answered before they were sent.
            try:
                await asyncio.wait_for(queued_sends_made(), timeout=self.http_grace_seconds)
            except TimeoutError:
                logger.warning("events still unsent after %.1fs; listeners will repair them", self.http_grace_seconds)
            await room_hub_close()
        except Exception:
            logger.exception("draining failed; stopping anyway")

    async def _wait_for_connections(self) -> None:
        """Until requests have answered and closing sockets have said goodbye.

        Twisted's shutdown drops whatever a transport has not written yet, so
        an answered request also waits for its answer to leave, and a socket
        for its close frame.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.http_grace_seconds
        while loop.time() < deadline:
            if not any(self._still_busy(protocol, details) for protocol, details in list(self.connections.items())):
                return
            await asyncio.sleep(SHUTDOWN_POLL_SECONDS)
        logger.warning("connections still busy after %.1fs; stopping anyway", self.http_grace_seconds)

    @staticmethod
    def _still_busy(protocol, details: dict) -> bool:
        if isinstance(protocol, WebSocketProtocol):
            return "disconnected" not in details
        application = details.get("application_instance")
        if application is not None and not application.done():
            return True
        transport = getattr(protocol, "transport", None)
        if transport is None or getattr(transport, "disconnected", False):
            return False
        return pending_output_bytes(transport) > 0

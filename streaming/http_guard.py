"""HTTP connections that can neither hang on to the server nor fill its memory.

Twisted reads a request's whole body before Daphne sees the request, and
Daphne then queues all of it in memory for the application: a limit checked
in Django comes after the memory is spent. And Twisted's only timeout is an
idle one that every byte resets, so a client that trickles its headers holds
its connection for as long as it likes. So each connection is guarded here,
in the server, before any of that:

- the request line and headers must be complete within `header_timeout`
  seconds of the connection opening (or of the previous answer on it);
- a body must keep coming: no gap longer than `body_timeout` seconds;
- a body declared bigger than its path's limit is answered 413 before a
  byte of it is read; a chunked body is cut off with 413 once that much of
  it has arrived.

A websocket is never touched: its upgrade request has no body, every deadline
here ends when a request's headers and body are in, and Daphne takes the
connection over from this channel while handling that request.

Twisted's HTTPChannel hooks used here (allHeadersReceived, rawDataReceived,
allContentReceived, requestDone, `length`) are checked at start-up by
streaming/server_internals.py, and `_path` by tests/integration/test_http_guard.py;
Twisted is pinned in requirements.txt.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from twisted.web.http import HTTPChannel

logger = logging.getLogger(__name__)

# After refusing, the answer is followed by a FIN and whatever the client is
# still sending is read and dropped for at most this long. Closing a socket
# with unread input would reset it, and a client still busy uploading would
# lose the answer it hasn't read yet.
LINGER_SECONDS = 2.0


@dataclass(frozen=True)
class HttpLimits:
    header_timeout: float
    body_timeout: float
    api_body_bytes: int
    page_body_bytes: int

    def body_limit(self, path: bytes) -> int:
        return self.api_body_bytes if path.startswith(b"/api/") else self.page_body_bytes


def _answer(status: int, reason: str, message: str, *, as_json: bool) -> bytes:
    if as_json:
        code = {408: "request_timeout", 413: "too_large"}[status]
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        content_type = b"application/json"
    else:
        body = message.encode()
        content_type = b"text/plain; charset=utf-8"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n".encode()
        + b"Content-Type: "
        + content_type
        + f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    )
    return head + body


class GuardedHTTPChannel(HTTPChannel):
    """Twisted's HTTP/1.1 channel, with deadlines and a body limit (see the module docstring)."""

    def __init__(self, limits: HttpLimits) -> None:
        super().__init__()
        self.limits = limits
        self._deadline = None
        self._receiving_body = False
        self._body_bytes = 0
        self._refused = False
        # No byte of a request yet: a connection opened, or kept alive, and then left idle.
        self._idle = True

    def connectionMade(self) -> None:
        super().connectionMade()
        self._await_request()

    def dataReceived(self, data: bytes) -> None:
        if not self._refused:
            self._idle = False
            super().dataReceived(data)

    def allHeadersReceived(self) -> None:
        self._cancel_deadline()
        limit = self.limits.body_limit(self._request_path())
        if self.length is not None and self.length > limit:
            self._refuse_body_too_large(limit)
            return
        super().allHeadersReceived()
        if self.length != 0:
            self._receiving_body = True
            self._body_bytes = 0
            self._set_deadline(self.limits.body_timeout, self._body_stalled)

    def rawDataReceived(self, data: bytes) -> None:
        # Also reached straight from the parent's dataReceived, with the rest
        # of a buffer whose headers were just refused.
        if self._refused:
            return
        if self._receiving_body:
            self._body_bytes += len(data)
            # A declared length was checked with the headers; a chunked body
            # is counted as it comes (with its framing, a little stricter).
            limit = self.limits.body_limit(self._request_path())
            if self.length is None and self._body_bytes > limit:
                self._refuse_body_too_large(limit)
                return
            self._deadline.reset(self.limits.body_timeout)
        super().rawDataReceived(data)

    def allContentReceived(self) -> None:
        self._receiving_body = False
        self._cancel_deadline()
        super().allContentReceived()

    def requestDone(self, request) -> None:
        # Armed before the parent replays any pipelined bytes, whose complete
        # headers then cancel it at once.
        if self.persistent:
            self._await_request()
        super().requestDone(request)

    def connectionLost(self, reason) -> None:
        self._cancel_deadline()
        super().connectionLost(reason)

    def _await_request(self) -> None:
        self._idle = True
        self._set_deadline(self.limits.header_timeout, self._headers_too_slow)

    def _headers_too_slow(self) -> None:
        self._deadline = None
        if self._idle:
            # Nothing was asked, so nothing is answered: a client that sends
            # a request just now on a kept-alive connection retries it on a
            # new one when it sees the close, and would be confused by a 408.
            self._refused = True
            self.transport.loseConnection()
            return
        self._refuse(408, "Request Timeout", "The request headers took too long.")

    def _body_stalled(self) -> None:
        self._deadline = None
        self._refuse(408, "Request Timeout", "The request body stopped arriving.")

    def _refuse_body_too_large(self, limit: int) -> None:
        self._refuse(413, "Content Too Large", f"The request body is larger than {limit} bytes.")

    def _refuse(self, status: int, reason: str, message: str) -> None:
        self._refused = True
        self._receiving_body = False
        self._cancel_deadline()
        path = self._request_path()
        logger.info("refusing %s from %s: %s", path[:200], self.transport.getPeer(), message)
        self.transport.write(_answer(status, reason, message, as_json=path.startswith(b"/api/")))
        # No more requests on this connection, and any pipelined after this
        # one are dropped with the rest of what it sends.
        self.persistent = False
        lose_write = getattr(self.transport, "loseWriteConnection", None)
        if lose_write is None:
            self.transport.loseConnection()
            return
        lose_write()
        self._deadline = self.callLater(LINGER_SECONDS, self.transport.abortConnection)

    def _request_path(self) -> bytes:
        # Set by the parent from the request line, deleted once the request is
        # in; a renamed attribute would fall back to the (larger) page limit,
        # which test_http_guard.py catches.
        return getattr(self, "_path", b"")

    def _set_deadline(self, seconds: float, on_expiry) -> None:
        self._cancel_deadline()
        self._deadline = self.callLater(seconds, on_expiry)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None


def guard_connections(factory, limits: HttpLimits) -> None:
    """Make Daphne's HTTP factory build guarded channels.

    The factory's own `protocol` picks HTTP/1.1 or HTTP/2 by ALPN, which only
    matters for TLS with Twisted's http2 extra; Daphne here serves plain
    HTTP/1.1 behind the proxy, which terminates TLS and speaks HTTP/2.
    """
    factory.protocol = lambda: GuardedHTTPChannel(limits)

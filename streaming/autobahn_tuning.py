"""Stop autobahn from formatting a debug message for every new websocket.

autobahn's WebSocketProtocol._connectionMade pretty-prints all of the
protocol's settings for a debug log line on every connection, and does it
before the logger decides the line is dropped. py-spy showed that formatting
as about a tenth of the server's CPU per connect in a connection storm
(docs/performance.md). The module's `pformat` is replaced by one that only
formats when autobahn's debug logging is on.
"""

from __future__ import annotations

import pprint

import txaio
from autobahn.websocket import protocol

_DEBUG_LEVELS = {"debug", "trace"}


def _pformat_when_debugging(value: object, *args, **kwargs) -> str:
    try:
        debugging = txaio.get_global_log_level() in _DEBUG_LEVELS
    except RuntimeError:
        # No networking framework chosen yet, so no logging set up either: format as before.
        debugging = True
    if debugging:
        return pprint.pformat(value, *args, **kwargs)
    return "(not formatted: autobahn debug logging is off)"


def skip_debug_formatting() -> None:
    protocol.pformat = _pformat_when_debugging

"""Process-wide tuning for a server that holds thousands of sockets.

Both were found with py-spy and the benchmark (docs/performance.md).
"""

from __future__ import annotations

import gc
import pprint

import txaio
from autobahn.websocket import protocol

_DEBUG_LEVELS = {"debug", "trace"}
# Young collections about 15 times rarer than the default (700, 10, 10), and full
# collections about 10 times rarer than that again. See tune_garbage_collector.
GC_THRESHOLDS = (10_000, 10, 100)


def _pformat_when_debugging(value: object, *args, **kwargs) -> str:
    try:
        debugging = txaio.get_global_log_level() in _DEBUG_LEVELS
    except RuntimeError:
        # No networking framework chosen yet, so no logging set up either: format as before.
        debugging = True
    if debugging:
        return pprint.pformat(value, *args, **kwargs)
    return "(not formatted: autobahn debug logging is off)"


def skip_autobahn_debug_formatting() -> None:
    """Stop autobahn from formatting a debug message for every new websocket.

    WebSocketProtocol._connectionMade pretty-prints all of the protocol's
    settings for a debug log line on every connection, before the logger
    drops the line: about a tenth of the server's CPU per connect in a
    connection storm. Its module's `pformat` now formats only when autobahn's
    debug logging is on.
    """
    protocol.pformat = _pformat_when_debugging


def tune_garbage_collector() -> None:
    """Keep full garbage collections rare and small.

    Every socket holds a few hundred long-lived objects (protocol, consumer,
    tasks), and a full collection walks them all: with 1,500 sockets that
    paused the event loop for 90–180 ms, several times a minute, which was
    most of the classrooms scenario's p99. Freezing what start-up allocated
    (Django, the URL conf, the app's modules) takes it out of every
    collection; the thresholds make collections rarer. Cyclic garbage still
    goes, just in bigger, less frequent batches.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)

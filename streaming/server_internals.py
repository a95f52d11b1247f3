"""The library internals our server reads, overrides or patches, checked before it starts.

streaming/server.py reads Twisted's transport buffers and autobahn's close
frames, and overrides how autobahn drops a closed socket's connection and
which protocol Daphne's websocket factory builds; streaming/http_guard.py
extends Twisted's HTTP channel, and
streaming/server_tuning.py replaces a function in autobahn. Twisted, autobahn
and txaio are pinned in requirements.txt for that; should an upgrade move one
of these names anyway, `manage.py serve` refuses to start rather than
misbehave under load.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace


def _required() -> Iterator[tuple[str, object, tuple[str, ...]]]:
    # Imported here: daphne.server installs Twisted's asyncio reactor on import.
    import txaio
    from autobahn.twisted.websocket import WebSocketAdapterProtocol
    from autobahn.websocket import protocol as autobahn_protocol
    from daphne.server import Server
    from daphne.ws_protocol import WebSocketFactory
    from twisted.internet.abstract import FileDescriptor
    from twisted.web.http import HTTPChannel

    # dataBuffer and offset are class attributes, _tempDataLen is set per
    # instance; a FileDescriptor needs no real reactor to be made.
    yield "twisted FileDescriptor", FileDescriptor(reactor=object()), ("dataBuffer", "offset", "_tempDataLen")
    yield (
        "twisted HTTPChannel",
        HTTPChannel(),
        (
            "allHeadersReceived",
            "rawDataReceived",
            "allContentReceived",
            "requestDone",
            "connectionMade",
            "connectionLost",
            "length",
            "persistent",
            "callLater",
        ),
    )
    yield "autobahn websocket.protocol", autobahn_protocol, ("pformat",)
    yield (
        "autobahn WebSocketProtocol",
        autobahn_protocol.WebSocketProtocol,
        ("sendCloseFrame", "STATE_CONNECTING", "STATE_OPEN"),
    )
    yield "autobahn twisted WebSocketAdapterProtocol", WebSocketAdapterProtocol, ("_closeConnection",)
    # Options each socket copies from its factory; the server sets one per socket.
    options = SimpleNamespace(**dict.fromkeys(autobahn_protocol.WebSocketProtocol.CONFIG_ATTRS_COMMON))
    yield "autobahn websocket options", options, ("closeHandshakeTimeout",)
    yield "txaio", txaio, ("get_global_log_level",)
    yield (
        "daphne Server",
        Server,
        ("handle_reply", "listen_success", "listen_error", "protocol_connected", "stop"),
    )
    yield "daphne WebSocketFactory", WebSocketFactory, ("protocol",)


def missing_server_internals() -> list[str]:
    """Every required name that the installed libraries lack, as 'library: name'."""
    return [f"{owner}: {name}" for owner, holder, names in _required() for name in names if not hasattr(holder, name)]


def check_server_internals() -> None:
    missing = missing_server_internals()
    if missing:
        raise RuntimeError(
            "The installed twisted/autobahn/txaio/daphne lack what streaming/server.py relies on "
            f"({', '.join(missing)}). Install the versions pinned in requirements.txt."
        )

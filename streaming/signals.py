"""Stop signals that a busy event loop cannot lose.

`loop.add_signal_handler` learns which signal arrived from one byte that the
C-level handler writes into the loop's self-pipe, the same socket pair every
`call_soon_threadsafe` writes a byte to. Each of those bytes takes a few
hundred bytes of the socket's buffer, so when thousands of database calls
finish at once (a reconnect storm, a burst of closing sockets) the pipe is
full for a moment. A SIGTERM in that moment is dropped, with only "Exception
ignored when trying to write to the signal wakeup fd" on stderr, and the
process never drains: a rolling restart then waits for it until it times out.

So the signal's number is not carried in a byte here. A Python handler, which
the interpreter runs in the main thread from its own pending-signal flag,
schedules the callback; a wakeup pipe of our own, written to only by signals,
makes sure the loop wakes up to run that handler, whichever thread the
kernel delivered the signal to.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable, Iterable

# Kept for the life of the process: closing them would leave a loop watching,
# and the kernel writing to, descriptors that may be reused.
_wakeup_sockets: list[socket.socket] = []


def call_on_signals(loop: asyncio.AbstractEventLoop, callback: Callable[[], None], signums: Iterable[int]) -> None:
    """Run `callback` on `loop` once for every one of these signals that arrives. Main thread only."""
    wake_reader, wake_writer = socket.socketpair()
    wake_reader.setblocking(False)
    wake_writer.setblocking(False)

    def discard_wakeups() -> None:
        try:
            while wake_reader.recv(4096):
                pass
        except BlockingIOError:
            pass

    loop.add_reader(wake_reader.fileno(), discard_wakeups)
    # Only signals write here, a byte each, so it cannot fill up; and if it
    # ever did, the flag the interpreter keeps still runs the handler.
    signal.set_wakeup_fd(wake_writer.fileno(), warn_on_full_buffer=False)

    def handle(signum, frame) -> None:
        loop.call_soon_threadsafe(callback)

    for signum in signums:
        signal.signal(signum, handle)
    _wakeup_sockets.extend((wake_reader, wake_writer))

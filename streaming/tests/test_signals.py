"""Stop signals reach the event loop however busy it is (streaming/signals.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading

import pytest

from streaming.signals import call_on_signals

# The loop's self-pipe holds a few hundred wakeups (each byte costs a few
# hundred bytes of socket buffer); this many, with the loop not reading, fill it.
WAKEUPS_TO_FILL_THE_SELF_PIPE = 5000


@pytest.fixture
def loop():
    """A fresh loop, and the process's signal set-up as it was before."""
    previous_handler = signal.getsignal(signal.SIGUSR1)
    previous_wakeup_fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(previous_wakeup_fd)
    loop = asyncio.new_event_loop()
    yield loop
    signal.signal(signal.SIGUSR1, previous_handler)
    signal.set_wakeup_fd(previous_wakeup_fd)
    loop.close()


class Calls:
    """A callback that counts its runs, and lets the test's loop run until it has run enough."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.count = 0
        self.ran = asyncio.Event()

    def __call__(self) -> None:
        self.count += 1
        self.ran.set()

    def run_loop_until(self, count: int, *, within_seconds: float = 5) -> None:
        async def until_counted() -> None:
            while self.count < count:
                self.ran.clear()
                await self.ran.wait()

        self.loop.run_until_complete(asyncio.wait_for(until_counted(), within_seconds))


def test_a_signal_arriving_while_the_loops_self_pipe_is_full_still_runs_the_callback(loop):
    calls = Calls(loop)
    call_on_signals(loop, calls, [signal.SIGUSR1])
    for _ in range(WAKEUPS_TO_FILL_THE_SELF_PIPE):
        loop.call_soon_threadsafe(lambda: None)

    os.kill(os.getpid(), signal.SIGUSR1)
    calls.run_loop_until(1)

    assert calls.count == 1


def test_a_signal_delivered_to_another_thread_wakes_a_loop_that_waits_for_nothing_else(loop):
    watchdog_fired = threading.Event()
    stopped = loop.create_future()

    def stop() -> None:
        if not stopped.done():
            stopped.set_result(watchdog_fired.is_set())

    def signal_this_thread() -> None:
        signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)

    def watchdog() -> None:
        # Wakes the loop if the signal did not; stop() then sees it fired.
        watchdog_fired.set()
        loop.call_soon_threadsafe(lambda: None)

    call_on_signals(loop, stop, [signal.SIGUSR1])
    threading.Timer(0.1, signal_this_thread).start()
    watchdog_timer = threading.Timer(10, watchdog)
    watchdog_timer.start()
    try:
        woken_only_by_the_watchdog = loop.run_until_complete(stopped)
    finally:
        watchdog_timer.cancel()

    assert woken_only_by_the_watchdog is False


def test_every_signal_runs_the_callback_once(loop):
    calls = Calls(loop)
    call_on_signals(loop, calls, [signal.SIGUSR1])

    os.kill(os.getpid(), signal.SIGUSR1)
    calls.run_loop_until(1)
    os.kill(os.getpid(), signal.SIGUSR1)
    calls.run_loop_until(2)
    # Python has run the signal's handler by now, so a second run of the
    # callback would already be scheduled: one more pass of the loop runs it.
    loop.run_until_complete(asyncio.sleep(0))

    assert calls.count == 2

"""Run localstripe, the Stripe API stand-in, on 127.0.0.1 with its data kept in memory.

    python -m tests.localstripe_server --port 8420

localstripe's own `localstripe` command listens on every interface, and after
every write pickles its whole store to /tmp/localstripe.pickle, one file
shared by every instance on the machine. Tests (and `make localstripe`) run
its aiohttp app here instead: on loopback only, with that dump turned off.
"""

from __future__ import annotations

import argparse

from aiohttp import web
from localstripe import resources
from localstripe.server import app

HOST = "127.0.0.1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    port = parser.parse_args().port
    # We replace an internal of the pinned localstripe: fail loudly if it moved.
    if not callable(getattr(resources.Store, "dump_to_disk", None)):
        raise SystemExit("localstripe.resources.Store.dump_to_disk is gone: check the localstripe pin.")
    resources.Store.dump_to_disk = lambda store: None
    web.run_app(app, host=HOST, port=port, access_log=None, print=lambda *_: None)


if __name__ == "__main__":
    main()

"""`manage.py serve`: Daphne with a graceful, zero-downtime shutdown (see streaming/server.py)."""

from __future__ import annotations

import os
import socket
from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from todaysmeet.env import env_int, env_str
from todaysmeet.metrics import metrics_listener_start

# Output a socket may leave unsent before it is cut off (streaming/server.py).
# A reading client normally has nothing pending; 1 MiB is a couple of
# thousand events behind.
SOCKET_SEND_BUFFER_LIMIT_DEFAULT = 1024 * 1024


class Command(BaseCommand):
    help = "Serve HTTP and websockets with Daphne; drain gracefully on SIGTERM."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=env_str("HOST") or "127.0.0.1")
        parser.add_argument("--port", type=int, default=env_int("PORT", 8000, minimum=1))
        # Daphne's default backlog of 50 overflows in a reconnect storm and
        # leaves clients waiting on 1 s SYN retransmits.
        parser.add_argument("--backlog", type=int, default=env_int("LISTEN_BACKLOG", 4096, minimum=1))
        parser.add_argument(
            "--fd",
            type=int,
            help="serve on this inherited listening socket instead of opening one (deploy/cluster passes it)",
        )
        parser.add_argument("--drain-seconds", type=float, default=3.0)
        parser.add_argument("--http-grace-seconds", type=float, default=10.0)
        parser.add_argument(
            "--send-buffer-limit",
            type=int,
            default=env_int("SOCKET_SEND_BUFFER_LIMIT", SOCKET_SEND_BUFFER_LIMIT_DEFAULT, minimum=8192),
            help="bytes a websocket may leave unread before it is closed with 1013",
        )
        # Metrics on an internal address, from a listener of their own (no
        # token there). An offset gives each process of a cluster its own
        # port from one setting: 8001 → 9001 with METRICS_PORT_OFFSET=1000.
        parser.add_argument("--metrics-host", default=env_str("METRICS_HOST") or "127.0.0.1")
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=None,
            help="serve /metrics here, without a token (default: --port + METRICS_PORT_OFFSET, if that is set)",
        )
        # The benchmark serves its naive baseline (bench/naive_asgi.py) through the same server.
        parser.add_argument("--application", default="todaysmeet.asgi:application", help="ASGI app as module:attribute")

    def handle(self, *args, **options) -> None:
        from streaming.server_internals import check_server_internals

        try:
            check_server_internals()
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        # Imported here: daphne.server installs Twisted's asyncio reactor on import.
        from streaming.http_guard import HttpLimits
        from streaming.server import GracefulServer
        from streaming.server_tuning import skip_autobahn_debug_formatting, tune_garbage_collector

        skip_autobahn_debug_formatting()

        module_name, _, attribute = options["application"].partition(":")
        application = getattr(import_module(module_name), attribute or "application")

        host, port = options["host"], options["port"]
        inherited_fd = options["fd"]
        if inherited_fd is None:
            endpoint = f"tcp:port={port}:interface={host}:backlog={options['backlog']}"
        else:
            host, port = inherited_listener(inherited_fd)
            # Twisted adopts a duplicate and closes this descriptor.
            endpoint = f"fd:fileno={inherited_fd}"
        metrics_port = options["metrics_port"]
        offset = env_int("METRICS_PORT_OFFSET", 0, minimum=0)
        if metrics_port is None and offset:
            metrics_port = port + offset
        if metrics_port:
            metrics_listener_start(host=options["metrics_host"], port=metrics_port)
            self.stdout.write(f"metrics on http://{options['metrics_host']}:{metrics_port}/metrics")
        server = GracefulServer(
            application=application,
            endpoints=[endpoint],
            drain_seconds=options["drain_seconds"],
            http_grace_seconds=options["http_grace_seconds"],
            send_buffer_limit=options["send_buffer_limit"],
            http_limits=HttpLimits(
                header_timeout=settings.HTTP_HEADER_TIMEOUT_SECONDS,
                body_timeout=settings.HTTP_BODY_TIMEOUT_SECONDS,
                api_body_bytes=settings.API_MAX_BODY_BYTES,
                page_body_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            ),
        )
        self.stdout.write(f"starting on http://{host}:{port} (pid {os.getpid()})")
        self.stdout.flush()
        # Last, so everything start-up allocated is frozen out of collections.
        tune_garbage_collector()
        server.run()
        if server.listen_failure is not None:
            raise CommandError(f"Can't listen on {host}:{port} (is the port in use?): {server.listen_failure}")


def inherited_listener(fd: int) -> tuple[str, int]:
    """The host and port of the listening IPv4 TCP socket this process inherited as `fd`."""
    try:
        listener = socket.socket(fileno=fd)
    except OSError as error:
        raise CommandError(f"--fd {fd} is not an open socket: {error}") from None
    try:
        # Twisted's "fd:" endpoint adopts IPv4 sockets only (it takes no other family by name).
        if (
            listener.family != socket.AF_INET
            or listener.type != socket.SOCK_STREAM
            or not listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        ):
            raise CommandError(f"--fd {fd} is not a listening IPv4 TCP socket")
        return listener.getsockname()
    finally:
        listener.detach()

"""Real server processes for integration and browser tests.

Each helper starts a process on a free loopback port, waits until it answers,
and stops it at the end; nothing here listens beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.02, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise TimeoutError(message or "condition not met in time")


def test_database_url() -> str:
    """A DATABASE_URL for the test database pytest-django created."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return ""
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{params['NAME']}"


def server_environment(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "todaysmeet.settings",
            "DJANGO_DEBUG": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    database_url = test_database_url()
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(settings.DATABASES["default"]["NAME"])
    env.update(overrides)
    return env


class DaphneProcess:
    """One `daphne` serving todaysmeet.asgi on 127.0.0.1:<port>."""

    def __init__(self, *, port: int | None = None, env: dict[str, str] | None = None, log_path: Path | None = None):
        self.port = port or free_port()
        self.env = env or server_environment()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> DaphneProcess:
        self._log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-e",
                f"tcp:port={self.port}:interface=127.0.0.1:backlog=1024",
                "todaysmeet.asgi:application",
            ],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_until(self._answers, timeout=timeout, interval=0.05, message=f"daphne on {self.port} did not start")
        return self

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"daphne exited with {self.process.returncode}; see {self.log_path}")
        try:
            with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=1) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False

    def signal(self, signum: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)

    def stop(self, timeout: float = 10) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self.process = None

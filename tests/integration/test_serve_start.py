"""`manage.py serve` and `make run` refuse to start, loudly, when they can't serve."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest

from tests.servers import REPO_ROOT, free_port, server_environment

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

START_TIMEOUT_SECONDS = 60


@pytest.fixture
def taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", free_port()))
        holder.listen()
        yield holder.getsockname()[1]


def run(command: list[str], **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=server_environment(**environment),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
        check=False,
    )


def test_serve_exits_with_an_error_when_the_port_is_taken(taken_port):
    result = run([sys.executable, "manage.py", "serve", "--port", str(taken_port)])

    assert result.returncode != 0
    assert f"Can't listen on 127.0.0.1:{taken_port} (is the port in use?)" in result.stderr


def test_make_run_exits_with_an_error_when_the_port_is_taken(taken_port):
    # -o: take the virtualenv as installed, whatever the timestamps say.
    result = run(["make", "-o", ".venv/.installed-run", "run", f"PORT={taken_port}", f"PYTHON={sys.executable}"])

    assert result.returncode != 0
    assert "is the port in use?" in result.stderr


def test_the_pinned_libraries_have_every_internal_the_server_relies_on():
    check = "from streaming.server_internals import check_server_internals; check_server_internals()"

    result = run([sys.executable, "-c", check])

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("module", "holder", "name"),
    [
        ("twisted.web.http", "HTTPChannel", "allHeadersReceived"),
        ("autobahn.websocket.protocol", "WebSocketProtocol", "sendCloseFrame"),
        ("autobahn.websocket.protocol", None, "pformat"),
    ],
)
def test_serve_refuses_to_start_when_an_internal_it_relies_on_is_gone(module, holder, name, taken_port):
    target = f"importlib.import_module({module!r})" + (f".{holder}" if holder else "")
    # As an upgrade that dropped the name would leave the library. The port
    # is taken too: the check must come before anything else fails.
    script = textwrap.dedent(
        f"""
        import importlib, sys
        delattr({target}, {name!r})
        from django.core.management import execute_from_command_line
        execute_from_command_line(["manage.py", "serve", "--port", "{taken_port}"])
        """
    )

    result = run([sys.executable, "-c", script])

    assert result.returncode != 0
    assert name in result.stderr
    assert "pinned in requirements.txt" in result.stderr

"""Real server processes for integration and browser tests.

Each helper starts a process on a free loopback port, waits until it answers,
and stops it at the end; nothing here listens beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

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
    # The browser tests turn Django's guard against blocking calls in async
    # code off for themselves (tests/browser/conftest.py); a server keeps it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
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


class Loopback:
    """The URLs of a server on 127.0.0.1:<port>."""

    port: int

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class Endpoint(Loopback):
    """One server process, by port."""

    port: int


def _terminate(process: subprocess.Popen, timeout: float) -> bool:
    """Ask a running process to end, and kill it if it does not within `timeout`; whether it had to be killed."""
    if process.poll() is not None:
        return False
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return True
    return False


def _exited(process: subprocess.Popen | None) -> bool:
    return process is not None and process.poll() is not None


class DaphneProcess(Loopback):
    """One `daphne` serving todaysmeet.asgi on 127.0.0.1:<port>; it can be started again on the same port."""

    def __init__(self, *, port: int | None = None, env: dict[str, str] | None = None, log_path: Path | None = None):
        self.port = port or free_port()
        self.env = env or server_environment()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self._log = None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "daphne",
            "-e",
            f"tcp:port={self.port}:interface=127.0.0.1:backlog=1024",
            "todaysmeet.asgi:application",
        ]

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 20) -> DaphneProcess:
        return self.launch().wait_until_serving(timeout)

    def launch(self) -> DaphneProcess:
        """Start the process without waiting for it, so several can start at once."""
        if self._log in (None, subprocess.DEVNULL):
            self._log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(),
            cwd=REPO_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=self.inherited_fds(),
        )
        return self

    def inherited_fds(self) -> tuple[int, ...]:
        return ()

    def wait_until_serving(self, timeout: float = 20) -> DaphneProcess:
        wait_until(self._answers, timeout=timeout, interval=0.05, message=f"server on {self.port} did not start")
        return self

    def _answers(self) -> bool:
        if _exited(self.process):
            raise RuntimeError(f"daphne exited with {self.process.returncode}; see {self.log_path}")
        return healthy(self.port)

    def signal(self, signum: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        """Until the process exits on its own; its exit code."""
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def rss_kib(self) -> int:
        """The server's resident memory, from /proc (Linux)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS in /proc status")

    def stop(self, timeout: float = 10) -> None:
        if self.process is None:
            return
        _terminate(self.process, timeout)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._log = None
        self.process = None


class ServeProcess(DaphneProcess):
    """`manage.py serve`, the production server: drains gracefully on SIGTERM and cuts off slow sockets.

    Given a `listener`, it serves that socket (`--fd`), as under deploy/cluster,
    and may share it with other processes; otherwise it opens its own port.
    """

    def __init__(
        self,
        *,
        drain_seconds: float = 1.0,
        serve_arguments: Sequence[str] = (),
        listener: socket.socket | None = None,
        **kwargs,
    ) -> None:
        if listener is not None:
            kwargs["port"] = listener.getsockname()[1]
        super().__init__(**kwargs)
        self.drain_seconds = drain_seconds
        self.serve_arguments = list(serve_arguments)
        self.listener = listener

    def command(self) -> list[str]:
        where = ["--fd", str(self.listener.fileno())] if self.listener else ["--port", str(self.port)]
        return [
            sys.executable,
            str(REPO_ROOT / "manage.py"),
            "serve",
            *where,
            "--drain-seconds",
            str(self.drain_seconds),
            *self.serve_arguments,
        ]

    def inherited_fds(self) -> tuple[int, ...]:
        return (self.listener.fileno(),) if self.listener else ()


def listening_socket(backlog: int = 4096) -> socket.socket:
    """A listening socket on a free loopback port, to hand to `manage.py serve --fd` as deploy/cluster does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)
    return listener


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


class RedisProcess:
    """A private, memory-only `redis-server` on a free loopback port, which a test may kill and start again.

    Started again on the same port it comes back empty, as a Redis without
    persistence does after a crash: every group membership is gone.
    """

    def __init__(self, *, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> RedisProcess:
        executable = redis_server_path()
        if executable is None:
            raise RuntimeError("redis-server is not installed")
        log = str(self.log_path) if self.log_path else ""
        self.process = subprocess.Popen(
            [
                executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                log,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, timeout=timeout, interval=0.02, message=f"redis-server on {self.port} did not start")
        return self

    def answers(self) -> bool:
        if _exited(self.process):
            raise RuntimeError(f"redis-server exited with {self.process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Crash it: no shutdown, no goodbye to its clients."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            _terminate(self.process, timeout=10)
        self.process = None


def consecutive_free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports, as deploy/cluster wants them."""
    for _ in range(100):
        first = free_port()
        if first + count > 65535:
            continue
        probes = []
        try:
            for port in range(first, first + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError(f"no {count} consecutive free ports")


class ClusterProcess:
    """`deploy/cluster`: N `manage.py serve` processes on consecutive ports, each restarted when it exits."""

    def __init__(
        self,
        *,
        processes: int,
        env: dict[str, str],
        run_dir: Path,
        drain_seconds: float | None = 1.0,
        serve_arguments: Sequence[str] = (),
    ) -> None:
        self.processes = processes
        # None: deploy/cluster's own default, as the README runs it.
        self.drain_seconds = drain_seconds
        self.first_port = consecutive_free_ports(processes)
        self.env = env
        self.pid_dir = run_dir / "pids"
        self.log_path = run_dir / "cluster.log"
        self.serve_arguments = list(serve_arguments)
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def ports(self) -> list[int]:
        return [self.first_port + index for index in range(self.processes)]

    @property
    def endpoints(self) -> list[Endpoint]:
        return [Endpoint(port) for port in self.ports]

    def start(self, timeout: float = 60) -> ClusterProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(REPO_ROOT / "deploy" / "cluster"),
                "--processes",
                str(self.processes),
                "--first-port",
                str(self.first_port),
                "--pid-dir",
                str(self.pid_dir),
                # The test database is migrated already, and shared with the test.
                "--no-migrate",
                *(["--drain-seconds", f"{self.drain_seconds:g}"] if self.drain_seconds is not None else []),
                "--",
                *self.serve_arguments,
            ],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_until(
            self.serving, timeout=timeout, interval=0.1, message=f"deploy/cluster did not start; see {self.log_path}"
        )
        return self

    def serving(self) -> bool:
        if _exited(self.process):
            raise RuntimeError(f"deploy/cluster exited with {self.process.returncode}; see {self.log_path}")
        return all(healthy(port) for port in self.ports)

    def pids(self) -> dict[int, int | None]:
        pids: dict[int, int | None] = {}
        for port in self.ports:
            try:
                pids[port] = int((self.pid_dir / f"{port}.pid").read_text())
            except (FileNotFoundError, ValueError):
                pids[port] = None
        return pids

    def rolling_restart(self, *arguments: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                str(REPO_ROOT / "deploy" / "rolling-restart"),
                "--pid-dir",
                str(self.pid_dir),
                *arguments,
            ],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def stop(self, timeout: float = 30) -> None:
        if self.process is None:
            return
        children = self.pids()
        if _terminate(self.process, timeout):
            # Its children run in sessions of their own and would outlive it.
            for port, pid in children.items():
                if pid and _is_server_on(pid, port):
                    os.kill(pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
        self.process = None


def _is_server_on(pid: int, port: int) -> bool:
    """Whether `pid` is still our `manage.py serve` on `port`, and not a process that reused its id."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"serve" in arguments and str(port).encode() in arguments


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def scrape_metrics(base_url: str, *, token: str | None = None) -> dict[tuple[str, frozenset], float]:
    """A server's /metrics as {(sample name, its labels): value}."""
    request = urllib.request.Request(f"{base_url}/metrics")  # noqa: S310 (loopback only)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server programs installed (Debian keeps them out of PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    return found[-1].parent if found else None


class PostgresProcess:
    """A private PostgreSQL cluster in a temporary directory, on a free loopback port, that a test stops and starts.

    PostgreSQL refuses to run as root, so under root (CI) its programs run as
    the `postgres` user that Debian's package creates.
    """

    DATABASE = "todaysmeet"

    def __init__(self, *, port: int | None = None) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL's server programs are not installed")
        self.bin_dir = bin_dir
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="tm-postgres-"))
        self.data = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.directory, user=self.user)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.DATABASE}"

    def _run(self, program: str, *arguments: str) -> None:
        subprocess.run(
            [str(self.bin_dir / program), *arguments],
            check=True,
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            timeout=120,
        )

    def create(self) -> PostgresProcess:
        """initdb, start, and create the (empty) application database."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.DATABASE)
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends every session at once, as a failover or a restart does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def nginx_path() -> str | None:
    # Debian installs it in /usr/sbin, which a non-root PATH may lack.
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


# The test's stand-in for Debian's /etc/nginx/nginx.conf: what the site file
# needs around it (events, the http {} block including conf.d/), and paths
# inside the test's directory. No mime.types here: the site includes its own.
NGINX_MAIN_CONFIG = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
{user}
events {{
    worker_connections 4096;
}}
http {{
    log_format recipe '$status $request_method $request_uri upstream=$upstream_addr:$upstream_status';
    access_log {prefix}/access.log recipe;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    include {prefix}/conf.d/*.conf;
}}
"""
ADJUST_MARK = "# [adjust]"
NGINX_LEVELS_THAT_ALERT = ("[error]", "[crit]", "[alert]", "[emerg]")


class NginxProcess:
    """nginx serving deploy/nginx.conf, changed in its [adjust] lines only, as a child of the test (no daemon).

    It listens on free loopback ports, with a self-signed certificate for
    127.0.0.1 made by `openssl` as deploy/README.md shows, and proxies to the
    given upstream ports. `http_url` and `ws_url` are its HTTPS side.
    """

    def __init__(self, *, prefix: Path, upstream_ports: Sequence[int], static_root: Path) -> None:
        self.prefix = prefix
        self.upstream_ports = list(upstream_ports)
        self.static_root = static_root
        self.port = free_port()
        self.plain_port = free_port()
        self.certificate = prefix / "fullchain.pem"
        self.private_key = prefix / "privkey.pem"
        self.process: subprocess.Popen | None = None

    @property
    def http_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.port}"

    @property
    def error_log(self) -> Path:
        return self.prefix / "error.log"

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"

    def site_config(self, recipe: str) -> str:
        """The recipe with every [adjust] line set for this test, and every other line as it is."""
        upstreams = iter(self.upstream_ports)
        lines = []
        for line in recipe.splitlines():
            if ADJUST_MARK in line:
                indent = line[: len(line) - len(line.lstrip())]
                line = f"{indent}{self._adjusted(line.strip(), upstreams)}  {ADJUST_MARK}"
            lines.append(line)
        if next(upstreams, None) is not None:
            raise AssertionError("deploy/nginx.conf has fewer upstream server lines than the cluster has ports")
        return "\n".join(lines) + "\n"

    def _adjusted(self, line: str, upstreams) -> str:
        directive = line.split()[0]
        if line.startswith("listen [::]"):
            return "# (no IPv6 in the test)"
        replacements = {
            "server": lambda: f"server 127.0.0.1:{next(upstreams)} max_fails=0;",
            "listen": lambda: (
                f"listen 127.0.0.1:{self.port} ssl http2;" if "ssl" in line else f"listen 127.0.0.1:{self.plain_port};"
            ),
            "server_name": lambda: "server_name 127.0.0.1;",
            "return": lambda: f"return 301 https://$host:{self.port}$request_uri;",
            "ssl_certificate": lambda: f"ssl_certificate {self.certificate};",
            "ssl_certificate_key": lambda: f"ssl_certificate_key {self.private_key};",
            "alias": lambda: f"alias {self.static_root}/;",
        }
        if directive not in replacements:
            raise AssertionError(f"a marked line of deploy/nginx.conf this test does not know how to adjust: {line}")
        return replacements[directive]()

    def write_configuration(self) -> Path:
        for directory in ("conf.d", "temp"):
            (self.prefix / directory).mkdir(parents=True, exist_ok=True)
        # Beside the main file, where the site's `include mime.types` finds it, as in /etc/nginx.
        shutil.copy("/etc/nginx/mime.types", self.prefix / "mime.types")
        recipe = (REPO_ROOT / "deploy" / "nginx.conf").read_text()
        (self.prefix / "conf.d" / "todaysmeet.conf").write_text(self.site_config(recipe))
        # As root, workers would run as nobody, who can't read the test's files.
        user = "user root;" if os.geteuid() == 0 else ""
        main = self.prefix / "nginx.conf"
        main.write_text(NGINX_MAIN_CONFIG.format(prefix=self.prefix, user=user))
        return main

    def make_certificate(self) -> None:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", str(self.private_key), "-out", str(self.certificate),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def start(self, timeout: float = 20) -> NginxProcess:
        executable = nginx_path()
        if executable is None:
            raise RuntimeError("nginx is not installed")
        main = self.write_configuration()
        self.make_certificate()
        command = [executable, "-p", str(self.prefix), "-c", str(main), "-e", str(self.error_log)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, timeout=timeout, interval=0.05, message="nginx did not start")
        return self

    def _answers(self) -> bool:
        if _exited(self.process):
            raise RuntimeError(f"nginx exited with {self.process.returncode}; see {self.error_log}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def alerting_log_lines(self) -> list[str]:
        """Error-log lines at error level or above: what an operator's log alert would fire on."""
        lines = self.error_log.read_text().splitlines()
        return [line for line in lines if any(level in line for level in NGINX_LEVELS_THAT_ALERT)]

    def statuses_served(self) -> list[int]:
        """The status of every request nginx answered (a websocket's 101 once it closed)."""
        return [int(line.split(" ", 1)[0]) for line in self.access_log.read_text().splitlines() if line]

    def stop(self) -> None:
        if self.process is not None:
            # QUIT: finish what is open, then exit.
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

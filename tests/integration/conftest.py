"""A real Daphne per test, serving the test database."""

from __future__ import annotations

import os
from collections.abc import Sequence

import psutil
import pytest
from django.db import connection

from tests.servers import (
    ClusterProcess,
    DaphneProcess,
    RedisProcess,
    ServeProcess,
    redis_server_path,
    server_environment,
    wait_until,
)


def _sessions_of_other_processes() -> int:
    """Sessions on the test database that this test process did not open."""
    own_ports = {opened.laddr.port for opened in psutil.Process().net_connections(kind="tcp")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_port FROM pg_stat_activity WHERE datname = current_database()")
        return sum(1 for (port,) in cursor.fetchall() if port not in own_ports)


@pytest.fixture
def daphne(transactional_db, tmp_path):
    # Depending on transactional_db makes the server stop before the test
    # database is flushed, and lets it see every row the test commits.
    server = DaphneProcess(log_path=tmp_path / "daphne.log").start()
    yield server
    server.stop()
    _wait_for_sessions_to_end()


def _wait_for_sessions_to_end() -> None:
    if connection.vendor == "postgresql":
        # PostgreSQL ends a dead client's sessions a moment after it exits;
        # on a loaded machine, dropping the test database before then fails.
        wait_until(
            lambda: _sessions_of_other_processes() == 0,
            timeout=10,
            message="the stopped server's database sessions did not end",
        )


def _require_redis_server() -> None:
    if redis_server_path() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true needs redis-server")
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, on a free port, that the test may kill and restart.

    Every test that needs Redis gets one, so it runs without REDIS_URL and
    never shares keys with another run.
    """
    _require_redis_server()
    redis = RedisProcess(log_path=tmp_path / "redis.log").start()
    yield redis
    redis.stop()


@pytest.fixture
def unstarted_redis(tmp_path):
    """A private redis-server's free port, with nothing behind it until the test starts it."""
    _require_redis_server()
    redis = RedisProcess(log_path=tmp_path / "redis.log")
    yield redis
    redis.stop()


@pytest.fixture
def start_servers(transactional_db, tmp_path):
    """Start `manage.py serve` processes on the test database, at once; all are stopped at the end.

    `redis=None` gives a process the in-memory layer, private to it.
    """
    started: list[ServeProcess] = []

    def start(
        count: int = 1, *, redis: RedisProcess | None, drain_seconds: float = 1.0, **environment: str
    ) -> list[ServeProcess]:
        overrides = {"REDIS_URL": redis.url if redis else "", "CHANNEL_LAYER_PREFIX": "test", **environment}
        servers = [
            ServeProcess(
                env=server_environment(**overrides),
                log_path=tmp_path / f"serve-{len(started) + index}.log",
                drain_seconds=drain_seconds,
            )
            for index in range(count)
        ]
        started.extend(servers)
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_until_serving(timeout=30)
        return servers

    yield start
    for server in started:
        server.stop()
    _wait_for_sessions_to_end()


@pytest.fixture
def start_cluster(transactional_db, tmp_path):
    """Start `deploy/cluster` over the test database and a Redis; stopped at the end."""
    started: list[ClusterProcess] = []

    def start(
        processes: int,
        *,
        redis: RedisProcess,
        drain_seconds: float | None = 1.0,
        serve_arguments: Sequence[str] = (),
        **environment: str,
    ) -> ClusterProcess:
        overrides = {"REDIS_URL": redis.url, "CHANNEL_LAYER_PREFIX": "test", **environment}
        cluster = ClusterProcess(
            processes=processes,
            env=server_environment(**overrides),
            run_dir=tmp_path,
            drain_seconds=drain_seconds,
            serve_arguments=serve_arguments,
        )
        started.append(cluster)
        return cluster.start()

    yield start
    for cluster in started:
        cluster.stop()
    _wait_for_sessions_to_end()


@pytest.fixture
def billing_daphne(transactional_db, tmp_path, stripe_standin, settings):
    """A Daphne with billing on against localstripe, which sends it Stripe's webhooks."""
    environment = server_environment(**stripe_standin.settings(price_id=settings.STRIPE_PRICE_ID))
    server = DaphneProcess(env=environment, log_path=tmp_path / "daphne.log").start()
    stripe_standin.send_webhooks_to(f"{server.http_url}/webhooks/stripe/")
    yield server
    stripe_standin.reset()
    server.stop()
    _wait_for_sessions_to_end()

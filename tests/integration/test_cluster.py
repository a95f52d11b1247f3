"""deploy/cluster keeps every port served: by a replacement on its socket, or a restart, slower after each crash."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.integration.clients import Flood
from tests.servers import ClusterProcess, healthy, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FLOOD_CLIENTS = 100
ANSWERS_AROUND_THE_RESTART = 300


def replace(cluster: ClusterProcess, signum: int) -> None:
    """Send the cluster's only process `signum`, and wait for its replacement to serve."""
    port = cluster.ports[0]
    pid = cluster.pids()[port]
    os.kill(pid, signum)
    wait_until(lambda: cluster.pids()[port] not in (None, pid) and healthy(port), timeout=30, interval=0.05)


def test_a_process_that_drained_and_exited_is_replaced_at_once_however_often(private_redis, start_cluster):
    cluster = start_cluster(1, redis=private_redis)

    # Deploys a moment apart: a clean exit is not a crash, so no back-off builds up.
    replace(cluster, signal.SIGTERM)
    replace(cluster, signal.SIGTERM)

    assert cluster.log_path.read_text().count("exited with 0; restarting in 0.0s") == 2


def test_a_process_that_keeps_crashing_is_restarted_ever_more_slowly(private_redis, start_cluster):
    cluster = start_cluster(1, redis=private_redis)

    replace(cluster, signal.SIGKILL)
    replace(cluster, signal.SIGKILL)

    log = cluster.log_path.read_text()
    assert "exited with -9; restarting in 1.0s" in log
    assert "exited with -9; restarting in 2.0s" in log


def rolling_restart(cluster: ClusterProcess) -> None:
    result = cluster.rolling_restart()
    assert result.returncode == 0, result.stderr


def sigterm_and_replacement(cluster: ClusterProcess) -> None:
    replace(cluster, signal.SIGTERM)


@pytest.mark.parametrize("restart", [rolling_restart, sigterm_and_replacement])
async def test_every_connection_to_a_restarting_port_is_answered_none_refused_or_reset(
    private_redis, start_cluster, restart
):
    cluster = await asyncio.to_thread(start_cluster, 1, redis=private_redis)
    pid_before = cluster.pids()[cluster.ports[0]]

    async with Flood(cluster.ports[0], clients=FLOOD_CLIENTS) as flood:
        await flood.wait_for_answers(ANSWERS_AROUND_THE_RESTART)
        await asyncio.to_thread(restart, cluster)
        await flood.wait_for_answers(ANSWERS_AROUND_THE_RESTART)

    assert cluster.pids()[cluster.ports[0]] not in (None, pid_before)
    # Every request was answered by a process: none found the port closed, none was reset in a queue.
    assert set(flood.outcomes) == {"200"}, flood.outcomes


def test_a_replacement_that_is_not_ready_in_time_is_killed_and_the_old_process_serves_on(private_redis, start_cluster):
    cluster = start_cluster(2, redis=private_redis)
    pids_before = cluster.pids()

    # No process gets ready this fast: as a release that can't reach its database would never be.
    result = cluster.rolling_restart("--timeout", "0.01")

    assert result.returncode == 1
    first = cluster.ports[0]
    assert f"port {first}: failed:" in result.stderr
    assert "was not ready within 0.01 s; killed, the old one serves on" in result.stderr
    assert "the remaining ports were not touched" in result.stderr
    assert cluster.pids() == pids_before
    assert all(healthy(port) for port in cluster.ports)


def _drain_seconds_of(pid: int) -> float:
    """The --drain-seconds a `manage.py serve` process runs with: its last one, as its argument parser reads them."""
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    values = [arguments[index + 1] for index, argument in enumerate(arguments) if argument == "--drain-seconds"]
    return float(values[-1])


@pytest.mark.parametrize(("asked", "expected"), [(None, 20.0), (2.5, 2.5)])
def test_every_process_drains_over_the_clusters_drain_time_twenty_seconds_unless_told(
    private_redis, start_cluster, asked, expected
):
    cluster = start_cluster(2, redis=private_redis, drain_seconds=asked)

    assert [_drain_seconds_of(pid) for pid in cluster.pids().values()] == [expected, expected]

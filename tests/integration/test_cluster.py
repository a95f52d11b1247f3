"""deploy/cluster keeps every port served: a drained process comes back at once, a crashing one ever more slowly."""

from __future__ import annotations

import os
import signal

import pytest

from tests.servers import ClusterProcess, healthy, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


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

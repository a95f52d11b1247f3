"""`manage.py serve` tells its supervisor it is ready (READY=1 on NOTIFY_SOCKET) only once it can serve."""

from __future__ import annotations

import socket
import uuid

import pytest

from tests.servers import (
    ServeProcess,
    listening_socket,
    server_environment,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supervisor_socket():
    """A datagram socket in the abstract namespace, as deploy/cluster's, and its NOTIFY_SOCKET name."""
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"@todaysmeet-test-{uuid.uuid4().hex}"
    receiver.bind("\0" + name[1:])
    yield receiver, name
    receiver.close()


def test_a_process_whose_channel_layer_does_not_answer_is_not_ready_until_it_does(
    transactional_db, tmp_path, supervisor_socket, unstarted_redis
):
    receiver, name = supervisor_socket
    redis = unstarted_redis
    listener = listening_socket()
    server = ServeProcess(
        listener=listener,
        env=server_environment(REDIS_URL=redis.url, CHANNEL_LAYER_PREFIX="test", NOTIFY_SOCKET=name),
        log_path=tmp_path / "serve.log",
    )
    try:
        server.launch()
        wait_until(
            lambda: "not ready to serve yet" in server.log_path.read_text(),
            timeout=30,
            message="the server never checked its health",
        )
        receiver.setblocking(False)
        with pytest.raises(BlockingIOError):
            receiver.recv(64)

        redis.start()
        receiver.settimeout(30)
        told = receiver.recv(64)
    finally:
        server.stop()
        listener.close()

    assert told == b"READY=1"

"""`manage.py serve --metrics-port`: metrics on an address of their own, and only there."""

from __future__ import annotations

import urllib.error

import pytest

from tests.servers import ServeProcess, free_port, scrape_metrics, server_environment

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_metrics_listener_answers_without_a_token_while_the_public_port_has_none(transactional_db, tmp_path):
    metrics_port = free_port()
    server = ServeProcess(
        env=server_environment(METRICS_TOKEN=""),
        log_path=tmp_path / "serve.log",
        serve_arguments=["--metrics-host", "127.0.0.1", "--metrics-port", str(metrics_port)],
    ).start()
    try:
        metrics = scrape_metrics(f"http://127.0.0.1:{metrics_port}")
        with pytest.raises(urllib.error.HTTPError) as public:
            scrape_metrics(server.http_url)
    finally:
        server.stop()

    assert ("todaysmeet_websockets_open", frozenset()) in metrics
    assert public.value.code == 404

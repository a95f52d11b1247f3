"""Stripe unreachable or slow: 503 billing_unavailable within 10 s, and no change to the plan."""

from __future__ import annotations

import http.server
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from billing.models import Customer, Subscription
from tests.servers import free_port

pytestmark = pytest.mark.django_db

PROMISE_SECONDS = 10
PATH = "/api/billing/subscription"
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A Stripe that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def slow_stripe(stripe_standin) -> Iterator[str]:
    """localstripe behind a proxy that holds every request for 3 s: each call is fine, a few add up."""
    upstream = stripe_standin.url

    class Slow(http.server.BaseHTTPRequestHandler):
        def _forward(self) -> None:
            time.sleep(3)
            length = int(self.headers.get("Content-Length") or 0)
            request = urllib.request.Request(  # noqa: S310 (loopback)
                upstream + self.path,
                data=self.rfile.read(length) if length else None,
                method=self.command,
                headers={name: self.headers[name] for name in ("Authorization", "Content-Type") if self.headers[name]},
            )
            try:
                with _opener.open(request, timeout=10) as answer:
                    status, body = answer.status, answer.read()
            except urllib.error.HTTPError as error:
                status, body = error.code, error.read()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up waiting, as it should

        do_GET = do_POST = do_DELETE = _forward

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def subscribe_timed(api, owner) -> tuple[float, object]:
    started = time.monotonic()
    response = api.post(PATH, {"payment_method": "pm_card_visa"}, token=owner.token)
    return time.monotonic() - started, response


def assert_unavailable(response) -> None:
    assert response.status == 503
    assert response.body["error"]["code"] == "billing_unavailable"


def test_a_stripe_that_never_answers_gets_503_within_ten_seconds(api, owner, stripe_standin, settings, black_hole):
    settings.STRIPE_API_BASE = black_hole

    elapsed, response = subscribe_timed(api, owner)

    assert_unavailable(response)
    assert elapsed < PROMISE_SECONDS
    assert not Customer.objects.exists()
    assert api.get("/api/me", token=owner.token).body["plan"]["tier"] == "free"


def test_slow_calls_share_one_budget_so_a_subscribe_still_answers_within_ten_seconds(api, owner, settings, slow_stripe):
    settings.STRIPE_API_BASE = slow_stripe

    elapsed, response = subscribe_timed(api, owner)

    assert_unavailable(response)
    assert elapsed < PROMISE_SECONDS
    assert not Subscription.objects.exists()
    assert api.get("/api/me", token=owner.token).body["plan"]["tier"] == "free"


def test_a_stripe_that_refuses_connections_gets_503_at_once(api, owner, stripe_standin, settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"

    elapsed, response = subscribe_timed(api, owner)

    assert_unavailable(response)
    assert elapsed < 2
    assert not Customer.objects.exists()


def test_cancelling_while_stripe_is_down_changes_nothing(api, owner, stripe_standin, settings):
    api.post(PATH, {"payment_method": "pm_card_visa"}, token=owner.token)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"

    response = api.delete(PATH, token=owner.token)

    assert_unavailable(response)
    assert Subscription.objects.get().cancel_at_period_end is False
    settings.STRIPE_API_BASE = stripe_standin.url
    stripe_id = Subscription.objects.get().stripe_id
    assert stripe_standin.request("GET", f"/v1/subscriptions/{stripe_id}")["cancel_at_period_end"] is False

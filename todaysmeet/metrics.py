"""Every Prometheus metric a server process exports, in one table, and how they are served.

Each process counts its own (they are plain in-process counters, as
prometheus_client keeps them) and serves them itself; Prometheus scrapes
every process and adds them up (deploy/README.md, "Monitoring"). The
metrics are served in one of two ways, and neither is on by default:

- `GET /metrics` on the process's own port, for a bearer `METRICS_TOKEN`;
- a listener of their own on an internal address, `manage.py serve
  --metrics-port` (or `METRICS_PORT_OFFSET`), for no token at all.

Counting is done at a few central places (the request log middleware, the
API's dispatcher, the hub, the layer watch, the server), never in a loop
over sockets: an increment costs about a microsecond.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from todaysmeet.errors import ServiceError

# A `_created` twin of every counter doubles what is scraped and tells nothing
# that the process's start time doesn't.
disable_created_metrics()

# --- HTTP --------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "todaysmeet_http_requests_total",
    "HTTP answers, by the URL's name (api:room-messages), method and status.",
    ["view", "method", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "todaysmeet_http_request_duration_seconds",
    "From the request reaching Django to its answer being ready (a streamed one: its start).",
    ["view", "method"],
)
# --- What people do in rooms ----------------------------------------------------
ROOM_ACTIONS = Counter(
    "todaysmeet_room_actions_total",
    "Posts, deletes and joins through the API: 'accepted', 'refused' (with the error code the client got), "
    "or 'failed' (a 5xx).",
    ["action", "outcome", "code"],
)
ROOM_ACTION_SECONDS = Histogram(
    "todaysmeet_room_action_duration_seconds",
    "Handling time of a post, delete or join: authentication, access, the write, its commit and its publish.",
    ["action"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
# --- The stream ------------------------------------------------------------------
WEBSOCKETS_OPEN = Gauge("todaysmeet_websockets_open", "Websockets this process holds open.")
ROOMS_STREAMING = Gauge("todaysmeet_rooms_streaming", "Rooms with at least one socket on this process.")
WEBSOCKET_CLOSES = Counter(
    "todaysmeet_websocket_closes_total",
    "Websockets that ended, by close code (codes we don't know are counted as 'other').",
    ["code"],
)
FANOUT_SECONDS = Histogram(
    "todaysmeet_fanout_latency_seconds",
    "From an event's commit (on any process) to its frame written to this process's last socket of the room.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STREAM_REPAIRS = Counter(
    "todaysmeet_stream_repairs_total",
    "Events the hub had to fetch from the database: 'gap' (seq jumped), 'catch_up' (lost tail, or after the "
    "layer came back), 'reset' (too far behind: its sockets were told to reload).",
    ["kind"],
)
STREAM_REPLAYS = Counter(
    "todaysmeet_stream_replays_total",
    "Sockets that resumed with `since`: 'replay' (sent what they missed) or 'reset' (told to reload).",
    ["kind"],
)
SLOW_CLIENT_CUTOFFS = Counter(
    "todaysmeet_slow_client_cutoffs_total",
    "Sockets closed with 1013 for falling behind: 'send_buffer' (stopped reading) or 'backlog' (during replay).",
    ["reason"],
)
# --- Dependencies ------------------------------------------------------------------
CHANNEL_LAYER_ERRORS = Counter(
    "todaysmeet_channel_layer_errors_total",
    "Channel layer (Redis) failures: 'receive', 'publish', 'heartbeat' (lost or unsendable).",
    ["operation"],
)
CHANNEL_LAYER_RECONNECTS = Counter(
    "todaysmeet_channel_layer_reconnects_total",
    "Times this process's hub rejoined the channel layer after losing it.",
)
DATABASE_UNAVAILABLE = Counter(
    "todaysmeet_database_unavailable_total",
    "Requests answered 503 database_unavailable, and sockets refused for the same reason.",
)
OVERLOAD_REFUSALS = Counter(
    "todaysmeet_overload_refusals_total",
    "HTTP requests answered 503 overloaded at once, because a database thread's queue was longer than "
    "ADMISSION_WAIT_LIMIT_MS.",
)
WEBHOOK_DELIVERIES = Counter(
    "todaysmeet_webhook_deliveries_total",
    "Webhooks received from payment providers, by provider and what became of them.",
    ["provider", "status"],
)

HTTP_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


def record_http_request(*, view: str | None, method: str, status: int, seconds: float) -> None:
    # A made-up method or an unrouted path must not make a new series each.
    view = view or "unmatched"
    method = method if method in HTTP_METHODS else "other"
    HTTP_REQUESTS.labels(view, method, str(status)).inc()
    HTTP_REQUEST_SECONDS.labels(view, method).observe(seconds)


def record_webhook_delivery(provider: str, status: str | int) -> None:
    """For the billing webhooks: count one delivery, e.g. ("stripe", "processed") or ("stripe", 400)."""
    WEBHOOK_DELIVERIES.labels(provider, str(status)).inc()


def record_websocket_close(code: int, known: Iterable[int]) -> None:
    WEBSOCKET_CLOSES.labels(str(code) if code in known else "other").inc()


def counted_room_action(action: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Mark an API view as a room action ("post", "delete", "join") that the dispatcher counts and times."""

    def mark(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        view.room_action = action  # type: ignore[attr-defined]
        return view

    return mark


def room_action_recorder(view: Callable[..., HttpResponse]) -> Callable[[Callable[[], HttpResponse]], HttpResponse]:
    """How rooms/api/http.py's dispatcher runs one method: counted and timed if the view is a room action."""
    action = getattr(view, "room_action", None)
    if action is None:
        return lambda run: run()
    accepted = ROOM_ACTIONS.labels(action, "accepted", "")
    duration = ROOM_ACTION_SECONDS.labels(action)

    def record(run: Callable[[], HttpResponse]) -> HttpResponse:
        started = time.perf_counter()
        try:
            response = run()
        except ServiceError as error:
            ROOM_ACTIONS.labels(action, "refused", error.code).inc()
            raise
        except Exception:
            # Our side (a bug, the database down): the middleware answers it.
            ROOM_ACTIONS.labels(action, "failed", "").inc()
            raise
        finally:
            duration.observe(time.perf_counter() - started)
        accepted.inc()
        return response

    return record


def gauge_from(gauge: Gauge, read: Callable[[], float]) -> None:
    """`gauge` reads its value when scraped: nothing to keep up to date on the hot path."""
    gauge.set_function(read)


class DatabaseThreadQueues(Collector):
    """How many sync calls wait for each database thread (todaysmeet/sync_threads.py), read when scraped.

    A queue that stays long means the process needs more DATABASE_THREADS,
    or the database is slow.
    """

    def __init__(self) -> None:
        self.executors: dict[str, ThreadPoolExecutor] = {}

    def watch(self, name: str, executor: ThreadPoolExecutor) -> None:
        self.executors[name] = executor

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "todaysmeet_database_thread_queue_depth",
            "Sync (ORM) calls waiting for each database thread of this process.",
            labels=["thread"],
        )
        for name, executor in self.executors.items():
            # The executor's own queue: the standard library's, stable across versions.
            family.add_metric([name], executor._work_queue.qsize())
        yield family


DATABASE_THREAD_QUEUES = DatabaseThreadQueues()
REGISTRY.register(DATABASE_THREAD_QUEUES)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: this process's metrics, for the holder of METRICS_TOKEN; not found when it is unset."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404("metrics are off")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        response = HttpResponse("metrics need the bearer token\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def metrics_listener_start(*, host: str, port: int) -> Any:
    """Serve the metrics on host:port from a thread of their own: an internal address, no token."""
    return start_http_server(port, addr=host)

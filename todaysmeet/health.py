"""GET /healthz: does this process reach its database and channel layer?"""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

CHECK_TIMEOUT_SECONDS = 2.0


def _database_ping() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _channel_layer_ping() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel(prefix="health")
    await layer.send(channel, {"type": "health.ping"})
    await layer.receive(channel)


async def _check(probe) -> str:
    try:
        await asyncio.wait_for(probe(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception:
        return "unavailable"
    return "ok"


async def health_report() -> dict:
    """What /healthz answers; `manage.py serve` also asks it before it tells a supervisor it is ready."""
    database = await _check(database_sync_to_async(_database_ping))
    channel_layer = await _check(_channel_layer_ping)
    healthy = database == "ok" and channel_layer == "ok"
    return {
        "status": "ok" if healthy else "unavailable",
        "database": {"status": database, "vendor": connection.vendor},
        "channel_layer": {"status": channel_layer, "backend": type(get_channel_layer()).__name__},
    }


async def healthz(request: HttpRequest) -> JsonResponse:
    report = await health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)

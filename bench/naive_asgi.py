"""The baseline the benchmark compares against: the Channels tutorial pattern.

Same Django app and HTTP API as todaysmeet.asgi; only the websocket differs.
Each socket joins the room's group `room.<id>` with its own layer channel,
and every event is decoded and re-encoded in every consumer. The service's
single group_send then costs one Redis delivery and one JSON round trip per
socket, which is what issue 4 measured. It speaks just enough of the
protocol for the bench client: `hello` with the head, then live events; no
`since` replay (the client fills the gap from /events, as it would anyway).

    python manage.py serve --application bench.naive_asgi:application
"""

from __future__ import annotations

import json

from django.core.asgi import get_asgi_application

django_http_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from rooms.models import Room  # noqa: E402
from streaming.close_codes import CLOSE_ROOM_NOT_FOUND  # noqa: E402
from streaming.publish import room_group  # noqa: E402
from todaysmeet.sync_threads import PinnedSyncThreads  # noqa: E402


def _room_and_head(name: str) -> tuple[int, int] | None:
    return Room.objects.filter(name=name.lower()).values_list("pk", "seq").first()


class NaiveRoomConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        found = await database_sync_to_async(_room_and_head)(self.scope["url_route"]["kwargs"]["name"])
        if found is None:
            await self.close(code=CLOSE_ROOM_NOT_FOUND)
            return
        room_id, head = found
        self.group = room_group(room_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=json.dumps({"type": "hello", "seq": head}))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def room_event(self, event: dict) -> None:
        # The tutorial's per-consumer work, kept on purpose: this is the cost being measured.
        await self.send(text_data=json.dumps(json.loads(event["text"])))

    async def room_close(self, event: dict) -> None:
        await self.close(code=event["code"])


# The HTTP side and its database threads are todaysmeet's own, so the
# comparison isolates the websocket fan-out.
application = PinnedSyncThreads(
    ProtocolTypeRouter(
        {
            "http": django_http_application,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter([path("ws/rooms/<str:name>/", NaiveRoomConsumer.as_asgi())]))
            ),
        }
    ),
    threads=settings.DATABASE_THREADS,
)

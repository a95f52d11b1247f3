import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todaysmeet.settings")
# Set Django up before importing anything that touches models (what
# get_asgi_application does, for our handler instead of Django's).
django.setup(set_prefix=False)

from todaysmeet.sync_threads import PinnedSyncThreads, SyncMiddlewareASGIHandler  # noqa: E402

django_http_application = SyncMiddlewareASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402

from streaming.origin import OriginValidator  # noqa: E402
from streaming.routing import websocket_urlpatterns  # noqa: E402
from streaming.vote_flush import ServingLoop  # noqa: E402
from todaysmeet.static_files import StaticFiles  # noqa: E402

# Bounded, reused database connections under ASGI (see todaysmeet/sync_threads.py).
sync_threads = PinnedSyncThreads(
    ProtocolTypeRouter(
        {
            # In production nginx serves /static/ first (deploy/); this keeps a
            # bare `make run` complete.
            "http": StaticFiles(django_http_application),
            # The origin is checked first, before any cookie is read. The session
            # is loaded lazily, by a socket's start, and only if a cookie names
            # one; Channels' AuthMiddleware would also load the teacher on every
            # connect to every room.
            "websocket": OriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    ),
    threads=settings.DATABASE_THREADS,
    wait_limit_seconds=settings.ADMISSION_WAIT_LIMIT_MS / 1000 if settings.ADMISSION_WAIT_LIMIT_MS else None,
)
# Notes the event loop, where vote counts are flushed (streaming/vote_flush.py).
application = ServingLoop(sync_threads)

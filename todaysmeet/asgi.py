import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "todaysmeet.settings")
# Build Django before importing anything that touches models.
django_http_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from streaming.origin import OriginValidator  # noqa: E402
from streaming.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # In production nginx serves /static/ first (deploy/); this keeps a
        # bare `make run` complete.
        "http": ASGIStaticFilesHandler(django_http_application),
        "websocket": OriginValidator(URLRouter(websocket_urlpatterns)),
    }
)

from channels.security.websocket import WebsocketDenier
from django.urls import path, re_path

from streaming.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/rooms/<str:name>/", RoomConsumer.as_asgi()),
    # Any other path is refused at the handshake; unrouted, Channels would
    # raise "No route found" and the server would log a traceback for it.
    re_path(r"", WebsocketDenier.as_asgi()),
]

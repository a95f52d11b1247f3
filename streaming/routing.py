from django.urls import path

from streaming.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/rooms/<str:name>/", RoomConsumer.as_asgi()),
]

from django.urls import path

from rooms import views

app_name = "rooms"

# "rooms" and "new" are reserved room names, so these can't shadow a room.
urlpatterns = [
    path("", views.home, name="home"),
    path("rooms/", views.dashboard, name="dashboard"),
    path("rooms/new/", views.room_new, name="new"),
    path(
        "rooms/invitations/<int:invitation_id>/accept/",
        views.invitation_answer,
        {"answer": "accept"},
        name="invitation-accept",
    ),
    path(
        "rooms/invitations/<int:invitation_id>/decline/",
        views.invitation_answer,
        {"answer": "decline"},
        name="invitation-decline",
    ),
    path("<str:name>/", views.room_page, name="room"),
    path("<str:name>/projector/", views.projector, name="projector"),
    path("<str:name>/qr.svg", views.room_qr, name="qr"),
    path("<str:name>/transcript/", views.transcript, name="transcript"),
]

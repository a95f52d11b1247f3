from django.urls import path

from rooms.api import views

app_name = "api"

room = "rooms/<str:name>"

urlpatterns = [
    path("teachers", views.teachers, name="teachers"),
    path("tokens", views.tokens, name="tokens"),
    path("rooms", views.room_collection, name="rooms"),
    path(room, views.room_detail, name="room"),
    path(f"{room}/join", views.room_join, name="room-join"),
    path(f"{room}/messages", views.room_messages, name="room-messages"),
    path(f"{room}/messages/<int:message_id>", views.room_message_detail, name="room-message"),
    path(f"{room}/messages/<int:message_id>/report", views.room_message_report, name="room-message-report"),
    path(f"{room}/events", views.room_events, name="room-events"),
    path(f"{room}/moderators", views.room_moderators, name="room-moderators"),
    path(f"{room}/moderators/<str:email>", views.room_moderator_detail, name="room-moderator"),
    path(f"{room}/participants", views.room_participants, name="room-participants"),
    path(f"{room}/participants/<int:participant_id>/mute", views.room_participant_mute, name="room-participant-mute"),
    path(
        f"{room}/participants/<int:participant_id>/unmute",
        views.room_participant_unmute,
        name="room-participant-unmute",
    ),
    path(f"{room}/reports", views.room_reports, name="room-reports"),
    path(f"{room}/reports/<int:report_id>/resolve", views.room_report_resolve, name="room-report-resolve"),
    path(f"{room}/transcript.csv", views.room_transcript_csv, name="room-transcript-csv"),
    path(f"{room}/transcript.json", views.room_transcript_json, name="room-transcript-json"),
]

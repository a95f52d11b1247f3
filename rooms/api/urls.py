"""Each URL of the API, and the view for each of its methods.

A new URL or method also gets its entry in rooms/api/schema.py's OPERATIONS,
under the same URL name: the OpenAPI document is built from both.
"""

from django.urls import path

from rooms.api import views
from rooms.api.http import api_endpoint

app_name = "api"

room = "rooms/<str:name>"

urlpatterns = [
    path("openapi.json", api_endpoint(GET=views.get_openapi), name="openapi"),
    path("teachers", api_endpoint(POST=views.create_teacher), name="teachers"),
    path("tokens", api_endpoint(POST=views.create_token), name="tokens"),
    path("rooms", api_endpoint(GET=views.list_rooms, POST=views.create_room), name="rooms"),
    path("invitations", api_endpoint(GET=views.list_invitations), name="invitations"),
    path(
        "invitations/<int:invitation_id>/accept", api_endpoint(POST=views.accept_invitation), name="invitation-accept"
    ),
    path(
        "invitations/<int:invitation_id>/decline",
        api_endpoint(POST=views.decline_invitation),
        name="invitation-decline",
    ),
    path(room, api_endpoint(GET=views.get_room, PATCH=views.update_room, DELETE=views.delete_room), name="room"),
    path(f"{room}/join", api_endpoint(POST=views.join_room), name="room-join"),
    path(
        f"{room}/messages",
        api_endpoint(GET=views.list_messages, POST=views.post_message),
        name="room-messages",
    ),
    path(
        f"{room}/messages/<int:message_id>",
        api_endpoint(PATCH=views.update_message, DELETE=views.delete_message),
        name="room-message",
    ),
    path(
        f"{room}/messages/<int:message_id>/upvote",
        api_endpoint(POST=views.upvote_message, DELETE=views.unvote_message),
        name="room-message-upvote",
    ),
    path(
        f"{room}/messages/<int:message_id>/approve",
        api_endpoint(POST=views.approve_message),
        name="room-message-approve",
    ),
    path(
        f"{room}/messages/<int:message_id>/reject",
        api_endpoint(POST=views.reject_message),
        name="room-message-reject",
    ),
    path(
        f"{room}/messages/<int:message_id>/restore",
        api_endpoint(POST=views.restore_message),
        name="room-message-restore",
    ),
    path(
        f"{room}/messages/<int:message_id>/report",
        api_endpoint(POST=views.report_message),
        name="room-message-report",
    ),
    path(f"{room}/events", api_endpoint(GET=views.list_events), name="room-events"),
    path(
        f"{room}/moderators",
        api_endpoint(GET=views.list_moderators, POST=views.add_moderator),
        name="room-moderators",
    ),
    path(f"{room}/moderators/<str:email>", api_endpoint(DELETE=views.remove_moderator), name="room-moderator"),
    path(f"{room}/participants", api_endpoint(GET=views.list_participants), name="room-participants"),
    path(
        f"{room}/participants/<int:participant_id>/mute",
        api_endpoint(POST=views.mute_participant),
        name="room-participant-mute",
    ),
    path(
        f"{room}/participants/<int:participant_id>/unmute",
        api_endpoint(POST=views.unmute_participant),
        name="room-participant-unmute",
    ),
    path(
        f"{room}/participants/<int:participant_id>/block",
        api_endpoint(POST=views.block_participant),
        name="room-participant-block",
    ),
    path(
        f"{room}/participants/<int:participant_id>/unblock",
        api_endpoint(POST=views.unblock_participant),
        name="room-participant-unblock",
    ),
    path(f"{room}/reports", api_endpoint(GET=views.list_reports), name="room-reports"),
    path(
        f"{room}/reports/<int:report_id>/resolve",
        api_endpoint(POST=views.resolve_report),
        name="room-report-resolve",
    ),
    path(f"{room}/transcript.csv", api_endpoint(GET=views.download_transcript_csv), name="room-transcript-csv"),
    path(f"{room}/transcript.json", api_endpoint(GET=views.download_transcript_json), name="room-transcript-json"),
]

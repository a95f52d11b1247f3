"""JSON API views: one function per action, each deciding access first, then
parsing, calling one service or selector, and rendering one shape.

Named verb first (`update_room`), apart from the services they call
(`room_update`). rooms/api/urls.py maps each URL's methods to them through
`api_endpoint`, which authenticates, checks CSRF and renders errors.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext

from accounts import services as account_services
from accounts.sign_in import teacher_sign_in
from billing.entitlements import require_teacher_tools
from rooms import exports, identity, selectors, services
from rooms.access import (
    Actor,
    invitation_for_teacher,
    message_for_moderator,
    message_for_reporter,
    message_for_voter,
    participant_for_moderator,
    removed_error,
    report_for_moderator,
    room_access_by_name,
    room_author,
    room_by_name,
    room_for_history,
    room_for_moderator,
    room_for_owner,
    room_for_reader,
    teacher_required,
    visible_message_for_moderator,
)
from rooms.api.http import (
    json_body,
    query_choice,
    query_flag,
    query_int,
    query_optional_flag,
    remember_participant,
)
from rooms.api.schema import openapi_document
from rooms.models import Message, Role, Room
from rooms.payloads import (
    Viewer,
    event_payload_for,
    invitation_payload,
    message_moderator_payload,
    message_payload_for,
    moderator_invitation_payload,
    participant_moderator_payload,
    participant_payload,
    report_payload,
    room_moderator_payload,
    room_payload,
)
from rooms.validation import could_be_in_room_name, room_name_key
from todaysmeet import attempts
from todaysmeet.errors import Conflict, Forbidden, Invalid, Unauthenticated
from todaysmeet.metrics import counted_room_action


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _room_json(request: HttpRequest, room: Room, role: Role | None) -> dict:
    """The moderator view for the room's teachers, the public one for everyone else."""
    if role is None:
        return room_payload(room, base_url=_base_url(request))
    return room_moderator_payload(
        room, base_url=_base_url(request), role=role, open_reports=selectors.report_open_count(room=room)
    )


def get_openapi(request: HttpRequest, actor: Actor) -> HttpResponse:
    return JsonResponse(openapi_document())


# --- Teachers ----------------------------------------------------------------


def create_teacher(request: HttpRequest, actor: Actor) -> HttpResponse:
    # The same answer for a new address and a known one: the email says which.
    body = json_body(request)
    sign_up = account_services.teacher_sign_up(email=body.get("email"), password=body.get("password"))
    return JsonResponse({"email": sign_up.email}, status=202)


def create_token(request: HttpRequest, actor: Actor) -> HttpResponse:
    body = json_body(request)
    teacher = teacher_sign_in(request, email=body.get("email"), password=body.get("password"))
    if teacher is None:
        raise Unauthenticated(gettext("Wrong email or password."), code="invalid_credentials")
    return JsonResponse({"token": account_services.teacher_token_issue(teacher=teacher)})


# --- Rooms -------------------------------------------------------------------


def list_rooms(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = teacher_required(actor)
    query = room_name_key(request.GET.get("q", "").strip())
    state = query_choice(request, "state", ("open", "closed"))
    if not could_be_in_room_name(query):
        return JsonResponse({"rooms": []})
    base_url = _base_url(request)
    rows = selectors.room_list_for_teacher(teacher=teacher, query=query, state=state)
    return JsonResponse(
        {
            "rooms": [
                room_moderator_payload(row.room, base_url=base_url, role=row.role, open_reports=row.open_reports)
                for row in rows
            ]
        }
    )


def create_room(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = teacher_required(actor)
    body = json_body(request)
    room = services.room_create(
        owner=teacher, name=body.get("name"), topic=body.get("topic"), lifetime=body.get("lifetime")
    )
    return JsonResponse(
        room_moderator_payload(room, base_url=_base_url(request), role=Role.OWNER, open_reports=0), status=201
    )


def get_room(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    access = room_for_reader(name=name, actor=actor)
    return JsonResponse(_room_json(request, access.room, access.role))


def update_room(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    access = room_for_moderator(name=name, actor=actor)
    room = services.room_update(room=access.room, changes=json_body(request))
    return JsonResponse(_room_json(request, room, access.role))


def delete_room(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    access = room_for_owner(name=name, actor=actor)
    services.room_delete(room=access.room)
    return HttpResponse(status=204)


@counted_room_action("join")
def join_room(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    # Anyone may try: the password, if the room has one, is the check.
    room = room_by_name(name=name)
    body = json_body(request)
    target = str(room.pk)
    if actor.participant is not None and actor.participant.room_id == room.pk and actor.participant.is_blocked:
        raise removed_error()
    attempts.refuse_if_over_limit(request, attempts.JOINING, target=target)
    # A browser is known by its session and by its key; other clients by their token alone.
    from_browser = actor.participant is None and "Authorization" not in request.headers
    key = (identity.browser_key_from_cookies(request.COOKIES) or identity.browser_key_new()) if from_browser else None
    rejoining = None
    if from_browser:
        rejoining = actor.remembered_participant_in(room) or selectors.participant_for_browser(
            room=room, browser_key_hash=identity.browser_key_hash(key)
        )
    if room.is_private:
        attempts.refuse_if_over_limit(request, attempts.ROOM_PASSWORD, target=target)
    try:
        participant, token = services.participant_join(
            room=room,
            nickname=body.get("nickname"),
            password=body.get("password"),
            rejoining=rejoining,
            caller=actor.participant,
            browser_key_hash=identity.browser_key_hash(key),
            address_hash=identity.address_hash(request),
        )
    except Forbidden as refused:
        if refused.code == "wrong_password":
            attempts.count_attempt(request, attempts.ROOM_PASSWORD, target=target)
        raise
    attempts.count_attempt(request, attempts.JOINING, target=target)
    response = JsonResponse(
        {"token": token, "participant": participant_payload(participant)},
        status=200 if rejoining is not None else 201,
    )
    if from_browser:
        remember_participant(request, participant)
        identity.browser_key_set(response, key)
    return response


# --- Messages and events -----------------------------------------------------


def list_messages(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    include_deleted = query_flag(request, "include_deleted")
    access = room_for_history(name=name, actor=actor, include_deleted=include_deleted)
    room = access.room
    status = query_choice(request, "status", ("published", "held"), default="published")
    order = query_choice(request, "order", ("seq", "top"), default="seq")
    answered = query_optional_flag(request, "answered")
    before = query_int(request, "before", minimum=0)
    since = query_int(request, "since", minimum=0)
    if before is not None and since is not None:
        raise Invalid(gettext("Give either before or since, not both."), code="conflicting_cursors")
    if (before is not None or since is not None) and (order == "top" or status == "held"):
        raise Invalid(
            gettext("The top messages and the review queue come in one page, without cursors."),
            code="conflicting_cursors",
        )
    limit = query_int(request, "limit", minimum=1, maximum=selectors.PAGE_LIMIT_MAX) or selectors.HISTORY_LIMIT_DEFAULT
    viewer = access.viewer
    if status == "held":
        # The whole queue for its moderators; for a participant, their own posts in it.
        mine = None if viewer.moderator else (viewer.voter_key or "")
        messages, has_more = selectors.message_held_list(room=room, limit=limit, author_key=mine)
    elif order == "top":
        messages, has_more = selectors.message_top(room=room, limit=limit, answered=answered)
    else:
        messages, has_more = selectors.message_list(
            room=room, before=before, since=since, limit=limit, include_deleted=include_deleted, answered=answered
        )
    pinned = selectors.message_pinned(room=room)
    shown = [message for message in (*messages, pinned) if message is not None]
    upvoted = selectors.message_ids_upvoted(voter_key=viewer.voter_key, messages=shown)
    render = message_moderator_payload if include_deleted else lambda message: message_payload_for(message, viewer)
    return JsonResponse(
        {
            "messages": [_with_upvoted(render(message), upvoted) for message in messages],
            "has_more": has_more,
            "seq": room.seq,
            "pinned": _with_upvoted(message_payload_for(pinned, viewer), upvoted) if pinned else None,
        }
    )


def _with_upvoted(payload: dict, upvoted: set[int]) -> dict:
    """A message for one reader: with whether they upvoted it (not for a deleted one, which shows nothing)."""
    if payload.get("deleted") is True and "text" not in payload:
        return payload
    return {**payload, "upvoted": payload["id"] in upvoted}


def _message_json(message: Message, viewer: Viewer) -> dict:
    """One message as `viewer` sees it, with whether they upvoted it."""
    upvoted = selectors.message_ids_upvoted(voter_key=viewer.voter_key, messages=[message])
    return _with_upvoted(message_payload_for(message, viewer), upvoted)


@counted_room_action("post")
def post_message(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    access = room_for_reader(name=name, actor=actor)
    author = room_author(access)
    body = json_body(request)
    message, created = services.message_post(
        room=access.room, author=author, text=body.get("text"), client_id=body.get("client_id")
    )
    if created:
        # Nobody can have upvoted a message that did not exist.
        shown = _with_upvoted(message_payload_for(message, access.viewer), set())
        status = 202 if message.status == Message.Status.HELD else 201
    else:
        shown, status = _message_json(message, access.viewer), 200
    return JsonResponse({"message": shown, "status": message.status}, status=status)


def update_message(request: HttpRequest, actor: Actor, name: str, message_id: int) -> HttpResponse:
    access = room_access_by_name(name=name, actor=actor)
    message = visible_message_for_moderator(access=access, message_id=message_id)
    message = services.message_update(room=access.room, message=message, changes=json_body(request))
    return JsonResponse({"message": _message_json(message, access.viewer)})


def approve_message(request: HttpRequest, actor: Actor, name: str, message_id: int) -> HttpResponse:
    return _message_reviewed(actor, name, message_id, services.message_approve)


def reject_message(request: HttpRequest, actor: Actor, name: str, message_id: int) -> HttpResponse:
    return _message_reviewed(actor, name, message_id, services.message_reject)


def _message_reviewed(actor: Actor, name: str, message_id: int, review: Callable[..., bool]) -> HttpResponse:
    access = room_access_by_name(name=name, actor=actor)
    message = message_for_moderator(access=access, message_id=message_id)
    review(room=access.room, message=message)
    message.refresh_from_db()
    return JsonResponse({"message": _message_json(message, access.viewer)})


def upvote_message(request: HttpRequest, actor: Actor, name: str, message_id: int) -> HttpResponse:
    return _message_voted(actor, name, message_id, upvote=True)


def unvote_message(request: HttpRequest, actor: Actor, name: str, message_id: int) -> HttpResponse:
    return _message_voted(actor, name, message_id, upvote=False)


def _message_voted(actor: Actor, name: str, message_id: int, *, upvote: bool) -> HttpResponse:
    access = room_for_reader(name=name, actor=actor)
    voter, message = message_for_voter(access=access, message_id=message_id)
    upvotes = services.message_vote(room=access.room, message=message, voter=voter, upvote=upvote)
    return JsonResponse({"message_id": message.pk, "upvotes": upvotes, "upvoted": upvote})


@counted_room_action("delete")
def delete_message(request: HttpRequest, actor: Actor, name: str, message_id: int) -> HttpResponse:
    access = room_access_by_name(name=name, actor=actor)
    message = message_for_moderator(access=access, message_id=message_id)
    services.message_delete(room=access.room, message=message, deleted_by=actor.teacher)
    return HttpResponse(status=204)


def restore_message(request: HttpRequest, actor: Actor, name: str, message_id: int) -> HttpResponse:
    # Same access as deleting: whoever may delete a message may take the deletion back.
    access = room_access_by_name(name=name, actor=actor)
    message = message_for_moderator(access=access, message_id=message_id)
    services.message_restore(room=access.room, message=message)
    message.refresh_from_db()
    return JsonResponse({"message": _message_json(message, access.viewer)})


def report_message(request: HttpRequest, actor: Actor, name: str, message_id: int) -> HttpResponse:
    access = room_access_by_name(name=name, actor=actor)
    reporter, message = message_for_reporter(access=access, message_id=message_id)
    body = json_body(request)
    report, created = services.report_create(
        room=access.room, reporter=reporter, message=message, reason=body.get("reason")
    )
    report = selectors.report_get(room=access.room, report_id=report.pk)
    return JsonResponse({"report": report_payload(report, access.viewer)}, status=201 if created else 200)


def list_events(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    access = room_for_reader(name=name, actor=actor)
    room = access.room
    since = query_int(request, "since", minimum=0)
    if since is None:
        raise Invalid(gettext("since is required."), field="since")
    limit = query_int(request, "limit", minimum=1, maximum=selectors.PAGE_LIMIT_MAX)
    if since > room.seq:
        raise Conflict(gettext("since is ahead of this room's stream; reload the history."), code="reset", seq=room.seq)
    events, has_more = selectors.events_since(
        room_id=room.pk, since=since, limit=limit or selectors.EVENTS_LIMIT_DEFAULT
    )
    viewer = access.viewer
    return JsonResponse(
        {"events": [event_payload_for(event, viewer) for event in events], "seq": room.seq, "has_more": has_more}
    )


# --- Teacher tools -----------------------------------------------------------


def list_moderators(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    room = room_for_moderator(name=name, actor=actor).room
    return JsonResponse(
        {
            "moderators": [{"email": teacher.email} for teacher in selectors.moderator_list(room=room)],
            "invitations": [
                moderator_invitation_payload(invitation)
                for invitation in selectors.moderator_invitation_list(room=room)
            ],
        }
    )


def add_moderator(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    # 202 whether or not the address is a teacher's: the invitation is emailed either way.
    room = room_for_owner(name=name, actor=actor).room
    invitation, _ = services.moderator_invite(room=room, email=json_body(request).get("email"))
    return JsonResponse({"invitation": moderator_invitation_payload(invitation)}, status=202)


def list_invitations(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = teacher_required(actor)
    base_url = _base_url(request)
    invitations = selectors.invitation_list_for_teacher(teacher=teacher)
    return JsonResponse(
        {"invitations": [invitation_payload(invitation, base_url=base_url) for invitation in invitations]}
    )


def accept_invitation(request: HttpRequest, actor: Actor, invitation_id: int) -> HttpResponse:
    teacher, invitation = invitation_for_teacher(actor=actor, invitation_id=invitation_id)
    services.moderator_invitation_accept(invitation=invitation, teacher=teacher)
    access = room_for_moderator(name=invitation.room.name, actor=actor)
    return JsonResponse({"room": _room_json(request, access.room, access.role)})


def decline_invitation(request: HttpRequest, actor: Actor, invitation_id: int) -> HttpResponse:
    _, invitation = invitation_for_teacher(actor=actor, invitation_id=invitation_id)
    services.moderator_invitation_decline(invitation=invitation)
    return HttpResponse(status=204)


def remove_moderator(request: HttpRequest, actor: Actor, name: str, email: str) -> HttpResponse:
    room = room_for_owner(name=name, actor=actor).room
    services.moderator_remove(room=room, email=email)
    return HttpResponse(status=204)


def list_participants(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    room = room_for_moderator(name=name, actor=actor).room
    participants = selectors.participant_list(room=room)
    return JsonResponse(
        {
            "participants": [
                participant_moderator_payload(participant, post_count=participant.post_count)
                for participant in participants
            ]
        }
    )


def mute_participant(request: HttpRequest, actor: Actor, name: str, participant_id: int) -> HttpResponse:
    return _participant_muted(actor, name, participant_id, muted=True)


def unmute_participant(request: HttpRequest, actor: Actor, name: str, participant_id: int) -> HttpResponse:
    return _participant_muted(actor, name, participant_id, muted=False)


def _participant_muted(actor: Actor, name: str, participant_id: int, *, muted: bool) -> HttpResponse:
    access = room_access_by_name(name=name, actor=actor)
    participant = participant_for_moderator(access=access, participant_id=participant_id)
    services.participant_mute(room=access.room, participant=participant, muted=muted)
    return _participant_json(access.room, participant.pk)


def block_participant(request: HttpRequest, actor: Actor, name: str, participant_id: int) -> HttpResponse:
    return _participant_blocked(actor, name, participant_id, blocked=True)


def unblock_participant(request: HttpRequest, actor: Actor, name: str, participant_id: int) -> HttpResponse:
    return _participant_blocked(actor, name, participant_id, blocked=False)


def _participant_blocked(actor: Actor, name: str, participant_id: int, *, blocked: bool) -> HttpResponse:
    access = room_access_by_name(name=name, actor=actor)
    participant = participant_for_moderator(access=access, participant_id=participant_id)
    services.participant_block(room=access.room, participant=participant, blocked=blocked)
    return _participant_json(access.room, participant.pk)


def _participant_json(room: Room, participant_id: int) -> HttpResponse:
    participant = selectors.participant_get(room=room, participant_id=participant_id)
    return JsonResponse({"participant": participant_moderator_payload(participant, post_count=participant.post_count)})


def list_reports(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    access = room_for_moderator(name=name, actor=actor)
    state = query_choice(request, "state", ("open", "all"), default="open")
    reports = selectors.report_list(room=access.room, only_open=state == "open")
    return JsonResponse({"reports": [report_payload(report, access.viewer) for report in reports]})


def resolve_report(request: HttpRequest, actor: Actor, name: str, report_id: int) -> HttpResponse:
    access = room_access_by_name(name=name, actor=actor)
    report = report_for_moderator(access=access, report_id=report_id)
    services.report_resolve(
        room=access.room, report=report, action=json_body(request).get("action"), resolved_by=actor.teacher
    )
    report = selectors.report_get(room=access.room, report_id=report.pk)
    return JsonResponse({"report": report_payload(report, access.viewer)})


def download_transcript_csv(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    room = room_for_moderator(name=name, actor=actor).room
    require_teacher_tools(owner=room.owner, tools=["transcripts"])
    messages = selectors.transcript_messages(room=room, include_deleted=query_flag(request, "include_deleted"))
    return exports.download(
        request,
        exports.transcript_csv(messages, exports.transcript_zone(room=room, teacher=actor.teacher)),
        filename=f"{room.name}-transcript.csv",
        content_type="text/csv; charset=utf-8",
    )


def download_transcript_json(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    room = room_for_moderator(name=name, actor=actor).room
    require_teacher_tools(owner=room.owner, tools=["transcripts"])
    messages = selectors.transcript_messages(room=room, include_deleted=query_flag(request, "include_deleted"))
    return exports.download(
        request,
        exports.transcript_json(room.name, messages, exports.transcript_zone(room=room, teacher=actor.teacher)),
        filename=f"{room.name}-transcript.json",
        content_type="application/json",
    )

"""JSON API views: parse, call one service or selector, render one shape."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts import services as account_services
from rooms import selectors, services
from rooms.access import Actor, message_for_moderator, room_author, room_for_reader, teacher_required
from rooms.api.http import api_endpoint, json_body, query_int, remember_participant
from rooms.payloads import event_payload, message_payload, room_payload
from todaysmeet.errors import Conflict, Invalid, Unauthenticated


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@api_endpoint("POST")
def teachers(request: HttpRequest, actor: Actor) -> HttpResponse:
    body = json_body(request)
    teacher = account_services.teacher_create(email=body.get("email"), password=body.get("password"))
    token = account_services.teacher_token_issue(teacher=teacher)
    return JsonResponse({"token": token, "teacher": {"email": teacher.email}}, status=201)


@api_endpoint("POST")
def tokens(request: HttpRequest, actor: Actor) -> HttpResponse:
    body = json_body(request)
    teacher = account_services.teacher_authenticate(email=body.get("email"), password=body.get("password"))
    if teacher is None:
        raise Unauthenticated("Wrong email or password.", code="invalid_credentials")
    return JsonResponse({"token": account_services.teacher_token_issue(teacher=teacher)})


@api_endpoint("POST")
def room_collection(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = teacher_required(actor)
    body = json_body(request)
    room = services.room_create(owner=teacher, name=body.get("name"), topic=body.get("topic"))
    return JsonResponse(room_payload(room, base_url=_base_url(request)), status=201)


@api_endpoint("GET")
def room_detail(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    room = room_for_reader(name=name)
    return JsonResponse(room_payload(room, base_url=_base_url(request)))


@api_endpoint("POST")
def room_join(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    room = room_for_reader(name=name)
    body = json_body(request)
    from_browser = actor.participant is None and "Authorization" not in request.headers
    rejoining = actor.participant_in(room) if from_browser else None
    participant, token = services.participant_join(room=room, nickname=body.get("nickname"), rejoining=rejoining)
    if from_browser:
        remember_participant(request, participant)
    return JsonResponse(
        {"token": token, "participant": {"id": participant.pk, "nickname": participant.nickname}},
        status=200 if rejoining is not None else 201,
    )


@api_endpoint("GET", "POST")
def room_messages(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    room = room_for_reader(name=name)
    if request.method == "POST":
        author = room_author(actor=actor, room=room)
        body = json_body(request)
        message, created = services.message_post(
            room=room, author=author, text=body.get("text"), client_id=body.get("client_id")
        )
        return JsonResponse({"message": message_payload(message)}, status=201 if created else 200)

    before = query_int(request, "before", minimum=0)
    since = query_int(request, "since", minimum=0)
    if before is not None and since is not None:
        raise Invalid("Give either before or since, not both.", code="conflicting_cursors")
    limit = query_int(request, "limit", minimum=1, maximum=selectors.PAGE_LIMIT_MAX)
    messages, has_more = selectors.message_list(
        room=room, before=before, since=since, limit=limit or selectors.HISTORY_LIMIT_DEFAULT
    )
    return JsonResponse(
        {"messages": [message_payload(message) for message in messages], "has_more": has_more, "seq": room.seq}
    )


@api_endpoint("DELETE")
def room_message_detail(request: HttpRequest, actor: Actor, name: str, message_id: int) -> HttpResponse:
    room = room_for_reader(name=name)
    message = message_for_moderator(actor=actor, room=room, message_id=message_id)
    services.message_delete(room=room, message=message, deleted_by=actor.teacher)
    return HttpResponse(status=204)


@api_endpoint("GET")
def room_events(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    room = room_for_reader(name=name)
    since = query_int(request, "since", minimum=0)
    if since is None:
        raise Invalid("since is required.", field="since")
    limit = query_int(request, "limit", minimum=1, maximum=selectors.PAGE_LIMIT_MAX)
    if since > room.seq:
        raise Conflict("since is ahead of this room's stream; reload the history.", code="reset", seq=room.seq)
    events, has_more = selectors.events_since(
        room_id=room.pk, since=since, limit=limit or selectors.EVENTS_LIMIT_DEFAULT
    )
    return JsonResponse({"events": [event_payload(event) for event in events], "seq": room.seq, "has_more": has_more})

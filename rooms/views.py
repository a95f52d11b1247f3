"""HTML pages. Writes go through the same services as the API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from rooms import services
from rooms.access import room_for_reader
from rooms.api.http import SESSION_PARTICIPANTS_KEY
from rooms.models import Participant
from rooms.payloads import room_payload
from rooms.validation import MESSAGE_MAX, ROOM_NAME_MAX
from todaysmeet.errors import NotFound, ServiceError


@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    wanted = request.GET.get("room", "").strip().lower()
    error = None
    if wanted:
        try:
            room = room_for_reader(name=wanted[:ROOM_NAME_MAX])
        except NotFound:
            error = f"There is no room called “{wanted[:ROOM_NAME_MAX]}”."
        else:
            return redirect(room)
    return render(request, "rooms/home.html", {"wanted": wanted, "error": error})


@login_required
@require_http_methods(["GET", "POST"])
def room_new(request: HttpRequest) -> HttpResponse:
    values = {"name": "", "topic": ""}
    error = None
    if request.method == "POST":
        values = {"name": request.POST.get("name", ""), "topic": request.POST.get("topic", "")}
        try:
            room = services.room_create(owner=request.user, name=values["name"], topic=values["topic"])
        except ServiceError as exception:
            error = exception.message
        else:
            return redirect(room)
    return render(request, "rooms/new.html", {"values": values, "error": error}, status=400 if error else 200)


@require_http_methods(["GET"])
def room_page(request: HttpRequest, name: str) -> HttpResponse:
    try:
        room = room_for_reader(name=name)
    except NotFound:
        raise Http404("No such room") from None
    if room.name != name:
        return redirect(room)
    is_owner = request.user.is_authenticated and request.user.pk == room.owner_id
    participant_id = request.session.get(SESSION_PARTICIPANTS_KEY, {}).get(str(room.pk))
    participant = Participant.objects.filter(pk=participant_id, room=room).first() if participant_id else None
    config = {
        "room": room_payload(room, base_url=request.build_absolute_uri("/")),
        "isOwner": is_owner,
        "me": (
            {"nickname": request.user.name_in_rooms}
            if is_owner
            else ({"id": participant.pk, "nickname": participant.nickname} if participant else None)
        ),
        "maxLength": MESSAGE_MAX,
    }
    return render(request, "rooms/room.html", {"room": room, "config": config, "is_owner": is_owner})

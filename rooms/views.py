"""HTML pages. Writes go through the same services as the API, reads through the same selectors."""

from __future__ import annotations

import functools
import io
from collections.abc import Generator
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.entitlements import require_teacher_tools
from billing.views import plan_required_page
from rooms import identity, selectors, services
from rooms.access import RoomAccess, actor_for_session, invitation_for_teacher, room_by_name
from rooms.exports import streamed, transcript_zone
from rooms.models import Room
from rooms.payloads import (
    Viewer,
    message_payload_for,
    participant_payload,
    room_locked_payload,
    room_moderator_payload,
    room_payload,
    room_url,
)
from rooms.validation import DEFAULT_LIFETIME, MESSAGE_MAX, ROOM_NAME_MAX, clean_room_name, room_name_key
from todaysmeet import clock
from todaysmeet.errors import Invalid, NotFound, PaymentRequired, ServiceError

# QR codes kept per process, by URL: a code depends on nothing else.
QR_CACHE_SIZE = 512
# Browsers and proxies may keep one this long: a room's URL never changes.
QR_MAX_AGE_SECONDS = 24 * 60 * 60

# In the order a teacher reads them, shortest first.
LIFETIME_LABELS = {
    Room.Lifetime.TWO_HOURS: gettext_lazy("2 hours"),
    Room.Lifetime.ONE_DAY: gettext_lazy("1 day"),
    Room.Lifetime.ONE_WEEK: gettext_lazy("1 week"),
    Room.Lifetime.ONE_MONTH: gettext_lazy("1 month"),
    Room.Lifetime.ONE_YEAR: gettext_lazy("1 year"),
}


def _room_access(request: HttpRequest, room: Room) -> RoomAccess:
    return RoomAccess(room=room, actor=actor_for_session(user=request.user, session=request.session))


def _room_or_404(name: str) -> Room:
    try:
        return room_by_name(name=name)
    except NotFound:
        raise Http404("No such room") from None


def _room_missing_page(request: HttpRequest, name: str) -> HttpResponse:
    """A mistyped room address: a way on (another room, or for a teacher, this one made), in any DEBUG."""
    create_url = None
    if request.user.is_authenticated:
        try:
            room_name = clean_room_name(name)
        except Invalid:
            room_name = None
        if room_name is not None:
            create_url = f"{reverse('rooms:new')}?{urlencode({'name': room_name})}"
    context = {"name": name[:ROOM_NAME_MAX], "room_name": room_name_key(name), "create_url": create_url}
    return render(request, "rooms/missing.html", context, status=404)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    wanted = room_name_key(request.GET.get("room", "").strip())
    error = None
    if wanted:
        try:
            room = room_by_name(name=wanted[:ROOM_NAME_MAX])
        except NotFound:
            error = gettext("There is no room called “%(name)s”.") % {"name": wanted[:ROOM_NAME_MAX]}
        else:
            return redirect(room)
    return render(request, "rooms/home.html", {"wanted": wanted, "error": error})


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:ROOM_NAME_MAX]
    rows = selectors.room_list_for_teacher(teacher=request.user, query=query or None)
    context = {
        "query": query,
        "invitations": selectors.invitation_list_for_teacher(teacher=request.user),
        "open_rooms": [row for row in rows if row.room.is_open],
        "closed_rooms": [row for row in rows if not row.room.is_open],
        "now": clock.now(),
    }
    return render(request, "rooms/dashboard.html", context)


@login_required
@require_POST
def invitation_answer(request: HttpRequest, invitation_id: int, answer: str) -> HttpResponse:
    """Accept an invitation to co-moderate (and go to the room), or decline it (and stay)."""
    actor = actor_for_session(user=request.user, session=request.session)
    try:
        teacher, invitation = invitation_for_teacher(actor=actor, invitation_id=invitation_id)
        if answer == "accept":
            services.moderator_invitation_accept(invitation=invitation, teacher=teacher)
            return redirect(invitation.room)
        services.moderator_invitation_decline(invitation=invitation)
    except NotFound:
        raise Http404("No such invitation") from None
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    return redirect("rooms:dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def room_new(request: HttpRequest) -> HttpResponse:
    # ?name= from a missing room's "Create it".
    values = {"name": request.GET.get("name", "")[:ROOM_NAME_MAX], "topic": "", "lifetime": DEFAULT_LIFETIME}
    error = None
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", ""),
            "topic": request.POST.get("topic", ""),
            "lifetime": request.POST.get("lifetime", DEFAULT_LIFETIME),
        }
        try:
            room = services.room_create(
                owner=request.user, name=values["name"], topic=values["topic"], lifetime=values["lifetime"]
            )
        except ServiceError as exception:
            error = exception.message
        else:
            return redirect(room)
    context = {"values": values, "error": error, "lifetimes": LIFETIME_LABELS.items()}
    return render(request, "rooms/new.html", context, status=400 if error else 200)


def _page_room(request: HttpRequest, room: Room, *, readable: bool, role: str | None = None) -> dict[str, Any]:
    """The room as a page's script starts from: what this person may see of it."""
    base_url = _base_url(request)
    if role is not None:
        open_reports = selectors.report_open_count(room=room)
        return room_moderator_payload(room, base_url=base_url, role=role, open_reports=open_reports)
    if readable:
        return room_payload(room, base_url=base_url)
    return room_locked_payload(room, base_url=base_url)


# The page's script posts with fetch and must find the CSRF token in a cookie,
# even when nothing on the page rendered a {% csrf_token %}.
@ensure_csrf_cookie
@require_GET
def room_page(request: HttpRequest, name: str) -> HttpResponse:
    try:
        room = room_by_name(name=name)
    except NotFound:
        return _room_missing_page(request, name)
    if room.name != name:
        return redirect(room)
    access = _room_access(request, room)
    role = access.role
    if role is not None:
        me = {"nickname": access.actor.teacher.name_in_rooms, "role": str(role)}
    else:
        me = participant_payload(access.participant) if access.participant else None
    locked = not access.readable
    # Someone whose password went stale is asked for the new one under the name they had.
    remembered = access.remembered_participant if locked else None
    config = {
        "room": _page_room(request, room, readable=not locked, role=role),
        "role": str(role) if role else None,
        "me": me,
        "locked": locked,
        # A teacher removed the participant this browser joined as: it may read a public room, not join.
        "removed": role is None and access.removed,
        "rememberedNickname": remembered.nickname if remembered else None,
        "maxLength": MESSAGE_MAX,
        "dashboardUrl": reverse("rooms:dashboard"),
        # A teacher's page tells the account its browser's zone when it differs (for transcripts).
        "timeZone": access.actor.teacher.time_zone if role is not None else None,
    }
    context = {
        "room": room,
        "config": config,
        "role": config["role"],
        "locked": locked,
    }
    response = render(request, "rooms/room.html", context)
    # Given before joining, so the page's socket carries it too: a teacher
    # removing this browser's participant then finds the socket without a lookup.
    if identity.browser_key_from_cookies(request.COOKIES) is None:
        identity.browser_key_set(response, identity.browser_key_new())
    return response


@require_GET
def projector(request: HttpRequest, name: str) -> HttpResponse:
    try:
        room = room_by_name(name=name)
    except NotFound:
        return _room_missing_page(request, name)
    if room.name != name:
        return redirect("rooms:projector", name=room.name)
    locked = not _room_access(request, room).readable
    # Never the moderator view: the projector's screen is seen by the whole class.
    config = {"room": _page_room(request, room, readable=not locked), "locked": locked}
    return render(request, "rooms/projector.html", {"room": room, "config": config, "locked": locked})


@functools.lru_cache(maxsize=QR_CACHE_SIZE)
def _qr_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
    return buffer.getvalue()


@require_GET
def room_qr(request: HttpRequest, name: str) -> HttpResponse:
    """An SVG QR code of the room's URL, for the projector and the teacher's page to show.

    Any room's: its URL is no secret (a private room asks for its password).
    """
    room = _room_or_404(name)
    if room.name != name:
        return redirect("rooms:qr", name=room.name)
    response = HttpResponse(_qr_svg(room_url(room, base_url=_base_url(request))), content_type="image/svg+xml")
    response["Cache-Control"] = f"public, max-age={QR_MAX_AGE_SECONDS}"
    return response


# The footer's language form, rendered after the headers have gone, needs the CSRF cookie set now.
@ensure_csrf_cookie
@require_GET
def transcript(request: HttpRequest, name: str) -> HttpResponse:
    try:
        room = room_by_name(name=name)
    except NotFound:
        return _room_missing_page(request, name)
    if room.name != name:
        return redirect("rooms:transcript", name=room.name)
    access = _room_access(request, room)
    if not access.readable:
        return render(request, "rooms/transcript/private.html", {"room": room}, status=403)
    try:
        require_teacher_tools(owner=room.owner, tools=["transcripts"])
    except PaymentRequired as refusal:
        return plan_required_page(request, refusal)
    zone = transcript_zone(room=room, teacher=access.actor.teacher if access.role is not None else None)
    header = {
        "room": room,
        "room_url": room_url(room, base_url=_base_url(request)),
        "time_zone": zone.key,
        "now": clock.now(),
    }
    chunks = _transcript_chunks(request, room, header, access.viewer, zone)
    response = streamed(request, chunks, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


def _transcript_chunks(
    request: HttpRequest, room: Room, header: dict[str, Any], viewer: Viewer, zone: ZoneInfo
) -> Generator[str, None, None]:
    """The page in pieces: a room of any size is rendered a bounded batch at a time.

    Each message as this reader may see it: "Anonymous" and starred words for
    the class, names and words as written for the room's teachers.
    """

    def piece(template_name: str, context: dict[str, Any]) -> str:
        # The zone only while rendering, never across a yield: the thread
        # streaming this may serve other requests in between.
        with timezone.override(zone):
            # With the request: the footer's language form needs its CSRF token.
            return render_to_string(template_name, context, request=request)

    yield piece("rooms/transcript/start.html", header)
    count = 0
    last_day = None
    batch: list[dict[str, Any]] = []
    for message in selectors.transcript_messages(room=room):
        day = timezone.localtime(message.created_at, zone).date()
        shown = message_payload_for(message, viewer)
        batch.append({"message": message, "shown": shown, "day": day if day != last_day else None})
        last_day = day
        count += 1
        if len(batch) >= selectors.TRANSCRIPT_CHUNK_SIZE:
            yield piece("rooms/transcript/messages.html", {"rows": batch})
            batch = []
    if batch:
        yield piece("rooms/transcript/messages.html", {"rows": batch})
    yield piece("rooms/transcript/end.html", {"count": count})

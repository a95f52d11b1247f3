"""JSON API for a teacher's own account: /api/me and the verification email."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts import services
from accounts.payloads import me_payload
from rooms.access import Actor, teacher_required
from rooms.api.http import api_endpoint, json_body


def _show(request: HttpRequest, teacher) -> HttpResponse:
    return JsonResponse(me_payload(teacher))


def _update(request: HttpRequest, teacher) -> HttpResponse:
    return JsonResponse(me_payload(services.teacher_update(teacher=teacher, changes=json_body(request))))


ME_ACTIONS = {"GET": _show, "PATCH": _update}


@api_endpoint(*ME_ACTIONS)
def me(request: HttpRequest, actor: Actor) -> HttpResponse:
    return ME_ACTIONS[request.method](request, teacher_required(actor))


@api_endpoint("POST")
def me_verification_email(request: HttpRequest, actor: Actor) -> HttpResponse:
    services.teacher_verification_email_send(teacher=teacher_required(actor))
    return HttpResponse(status=202)

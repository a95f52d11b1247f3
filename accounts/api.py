"""JSON API for a teacher's own account: /api/me and the verification email."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts import services
from accounts.payloads import me_payload
from rooms.access import Actor, teacher_required
from rooms.api.http import json_body


def get_me(request: HttpRequest, actor: Actor) -> HttpResponse:
    return JsonResponse(me_payload(teacher_required(actor)))


def update_me(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = teacher_required(actor)
    return JsonResponse(me_payload(services.teacher_update(teacher=teacher, changes=json_body(request))))


def send_verification_email(request: HttpRequest, actor: Actor) -> HttpResponse:
    services.teacher_verification_email_send(teacher=teacher_required(actor))
    return HttpResponse(status=202)

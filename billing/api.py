"""JSON API for the plan: subscribe, cancel or keep it, the card form's SetupIntent, and receipts."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext

from billing import selectors, services
from billing.payloads import invoice_payload, plan_payload
from rooms.access import Actor, teacher_required
from rooms.api.http import json_body
from todaysmeet.errors import Invalid, NotFound


def _billing_teacher(actor: Actor):
    teacher = teacher_required(actor)
    if not settings.BILLING_ENABLED:
        raise NotFound(gettext("Billing is off on this site: every tool is free."), code="billing_disabled")
    return teacher


def _plan_response(teacher, status: int = 200) -> JsonResponse:
    return JsonResponse({"plan": plan_payload(selectors.plan_for_teacher(teacher=teacher))}, status=status)


def create_setup_intent(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = _billing_teacher(actor)
    client_secret = services.setup_intent_create(teacher=teacher)
    return JsonResponse({"client_secret": client_secret}, status=201)


def subscribe(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = _billing_teacher(actor)
    services.subscription_start(teacher=teacher, payment_method=json_body(request).get("payment_method"))
    return _plan_response(teacher, status=201)


def change_subscription(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = _billing_teacher(actor)
    body = json_body(request)
    if set(body) != {"cancel_at_period_end"} or not isinstance(body["cancel_at_period_end"], bool):
        raise Invalid(gettext('Send {"cancel_at_period_end": true or false}.'), field="cancel_at_period_end")
    services.subscription_cancel(teacher=teacher, cancel=body["cancel_at_period_end"])
    return _plan_response(teacher)


def cancel_subscription(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = _billing_teacher(actor)
    services.subscription_cancel(teacher=teacher, cancel=True)
    return _plan_response(teacher)


def list_invoices(request: HttpRequest, actor: Actor) -> HttpResponse:
    teacher = _billing_teacher(actor)
    return JsonResponse({"invoices": [invoice_payload(invoice) for invoice in selectors.invoice_list(teacher=teacher)]})

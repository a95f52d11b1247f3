"""Receivers for Stripe, Mandrill and Mailchimp: verify first, then record through the one recorder.

Each answers 2xx to whatever it has settled, including events it ignores and
repeats of events it already handled, because any other answer makes the
provider send the same event again. Only a failed handler answers 500.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import stripe
from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, tracking
from anymail.webhooks.mandrill import MandrillCombinedWebhookView
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from todaysmeet.errors import error_response
from todaysmeet.metrics import record_webhook_delivery
from webhooks.models import Delivery
from webhooks.services import delivery_key, delivery_receive

logger = logging.getLogger(__name__)

# Stripe's own default; a signature older than this is refused as a replay.
STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300


class DeliveryFailed(Exception):
    """A handler failed: answer 500 so that the provider sends the event again."""


def _answer(delivery: Delivery, ran: bool) -> JsonResponse:
    if delivery.status == Delivery.Status.FAILED:
        return error_response("webhook_failed", "Handling the event failed; send it again.", 500)
    return JsonResponse({"id": delivery.pk, "status": delivery.status, "repeated": not ran})


def _not_configured(provider: str) -> JsonResponse:
    return error_response("not_found", f"The {provider} webhook is not configured here.", 404)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    if not settings.BILLING_ENABLED or not settings.STRIPE_WEBHOOK_SECRET:
        return _not_configured("Stripe")
    raw = request.body
    try:
        stripe.WebhookSignature.verify_header(
            raw,
            request.headers.get("Stripe-Signature"),
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=STRIPE_SIGNATURE_TOLERANCE_SECONDS,
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        record_webhook_delivery("stripe", "rejected")
        return error_response("bad_signature", "The Stripe-Signature header is missing, wrong or too old.", 400)
    try:
        event = json.loads(raw)
        event_id, event_type = event["id"], event["type"]
        if not isinstance(event_id, str) or not isinstance(event_type, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return error_response("invalid_payload", "The body is not a Stripe event.", 400)
    delivery, ran = delivery_receive(
        provider=Delivery.Provider.STRIPE, key=event_id, event_type=event_type, payload=event
    )
    return _answer(delivery, ran)


_mandrill_view = MandrillCombinedWebhookView.as_view()


@receiver(tracking, sender=MandrillCombinedWebhookView, dispatch_uid="webhooks.mandrill_tracking")
def _mandrill_event_record(sender: Any, event: AnymailTrackingEvent, **kwargs: Any) -> None:
    """Called by anymail for each event of a verified Mandrill post."""
    esp_event = event.esp_event
    event_type = str(esp_event.get("event") or esp_event.get("type") or "unknown")
    key = delivery_key(esp_event.get("_id", ""), event_type, esp_event.get("ts", ""))
    delivery, _ = delivery_receive(
        provider=Delivery.Provider.MANDRILL, key=key, event_type=event_type, payload=esp_event
    )
    if delivery.status == Delivery.Status.FAILED:
        raise DeliveryFailed(key)


@csrf_exempt
@require_http_methods(["HEAD", "POST"])
def mandrill_webhook(request: HttpRequest) -> HttpResponse:
    # HEAD is Mandrill's check that the URL exists, made before any key is known.
    if request.method == "POST" and not settings.ANYMAIL.get("MANDRILL_WEBHOOK_KEY"):
        return _not_configured("Mandrill")
    try:
        # anymail checks the signature and parses the batch, then sends each
        # event to _mandrill_event_record.
        response = _mandrill_view(request)
    except AnymailWebhookValidationFailure:
        record_webhook_delivery("mandrill", "rejected")
        return error_response("bad_signature", "The X-Mandrill-Signature header is missing or wrong.", 403)
    except DeliveryFailed:
        return error_response("webhook_failed", "Handling an event failed; send the batch again.", 500)
    except (ValueError, KeyError, TypeError, AttributeError):
        # Signed by Mandrill, yet not a batch of events (its form changed?).
        logger.exception("unreadable Mandrill webhook")
        return error_response("invalid_payload", "mandrill_events is not a list of Mandrill events.", 400)
    return response


MAILCHIMP_EVENT_EMAIL_FIELDS = ("data[email]", "data[new_email]")


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def mailchimp_webhook(request: HttpRequest, secret: str) -> HttpResponse:
    expected = settings.MAILCHIMP_WEBHOOK_SECRET
    # Mailchimp can't sign its posts: the secret in the URL is what authenticates them.
    if not expected or not constant_time_compare(secret, expected):
        return error_response("not_found", "Not found.", 404)
    if request.method != "POST":
        # Mailchimp checks the URL with a GET when the webhook is saved.
        return HttpResponse()
    fields = request.POST.dict()
    event_type = fields.get("type", "")
    fired_at = fields.get("fired_at", "")
    email = next((fields[name] for name in MAILCHIMP_EVENT_EMAIL_FIELDS if fields.get(name)), "")
    if not event_type or not fired_at:
        return error_response("invalid_payload", "A Mailchimp event has a type and a fired_at.", 400)
    delivery, ran = delivery_receive(
        provider=Delivery.Provider.MAILCHIMP,
        key=delivery_key(event_type, fired_at, email.strip().lower()),
        event_type=event_type,
        payload=fields,
    )
    return _answer(delivery, ran)

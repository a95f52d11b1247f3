"""Posting webhooks to our receivers signed the way each provider's docs say they sign them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from django.test import Client

from tests.localstripe import WEBHOOK_SECRET

STRIPE_PATH = "/webhooks/stripe/"
MANDRILL_PATH = "/webhooks/mandrill/"
MANDRILL_KEY = "mandrill-webhook-key-for-tests"
MANDRILL_URL = "https://meet.example.org/webhooks/mandrill/"
MAILCHIMP_SECRET = "mailchimp-secret-for-tests"

_event_numbers = itertools.count(1)


def stripe_event(event_type: str, data: dict[str, Any], *, event_id: str | None = None, created: int | None = None):
    return {
        "id": event_id or f"evt_test{next(_event_numbers)}",
        "object": "event",
        "type": event_type,
        "created": created or int(time.time()),
        "data": {"object": data},
    }


def stripe_signature(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: float | None = None) -> str:
    """Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    timestamp = int(at if at is not None else time.time())
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def stripe_post(client: Client, event: dict[str, Any] | bytes, **signature: Any):
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    return client.post(
        STRIPE_PATH,
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": stripe_signature(payload, **signature)},
    )


def mandrill_signature(params: dict[str, str], *, key: str = MANDRILL_KEY, url: str = MANDRILL_URL) -> str:
    """X-Mandrill-Signature: base64 HMAC-SHA1 of the URL followed by each POST key and value, keys sorted."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(key.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def mandrill_post(client: Client, events: list[dict[str, Any]], *, signature: str | None = None):
    params = {"mandrill_events": json.dumps(events)}
    return client.post(
        MANDRILL_PATH,
        data=params,
        headers={"X-Mandrill-Signature": signature if signature is not None else mandrill_signature(params)},
    )


def mandrill_event(event_type: str, email: str, *, message_id: str = "abc123", ts: int = 1_700_000_000):
    return {"event": event_type, "_id": message_id, "ts": ts, "msg": {"_id": message_id, "email": email}}


def mailchimp_post(client: Client, event_type: str, email: str, *, fired_at: str = "2026-11-30 10:00:00", secret=None):
    """Mailchimp's form-encoded event, as it posts it."""
    return client.post(
        f"/webhooks/mailchimp/{secret or MAILCHIMP_SECRET}/",
        data={
            "type": event_type,
            "fired_at": fired_at,
            "data[email]": email,
            "data[list_id]": "a6b5da1054",
            "data[merges][EMAIL]": email,
        },
    )

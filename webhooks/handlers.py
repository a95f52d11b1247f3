"""What each provider's events do: the one table the recorder and `webhooks replay` look handlers up in.

A handler takes the stored payload of one delivery and applies its effect
inside the recorder's transaction. It raises `Ignored` for an event that
needs nothing done; any other exception fails the delivery (the provider
retries, and its effect is rolled back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

from webhooks.models import Delivery

# Dotted paths, so this app imports no app whose events it carries.
HANDLERS = {
    Delivery.Provider.STRIPE: "billing.events.stripe_event_handle",
    Delivery.Provider.MANDRILL: "accounts.events.mandrill_event_handle",
    Delivery.Provider.MAILCHIMP: "accounts.events.mailchimp_event_handle",
}

Handler = Callable[[dict[str, Any]], None]


class Ignored(Exception):
    """The event needs nothing done; the message says why, for `webhooks list`."""


def handler_for(provider: str) -> Handler:
    return import_string(HANDLERS[provider])

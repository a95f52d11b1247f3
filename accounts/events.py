"""What Mandrill's and Mailchimp's webhook events do (called by the webhooks recorder, in its transaction)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from accounts import services
from webhooks.handlers import Ignored

# Mandrill events after which mail to the address must stop.
UNDELIVERABLE_EVENTS = frozenset({"hard_bounce", "reject", "spam"})
# Mailchimp events and the newsletter flag each one means.
MAILCHIMP_NEWSLETTER = {"subscribe": True, "profile": True, "unsubscribe": False, "cleaned": False}
MAILCHIMP_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def mandrill_event_handle(event: dict[str, Any]) -> None:
    event_type = event.get("event")
    if event_type not in UNDELIVERABLE_EVENTS:
        raise Ignored(f"{event_type or event.get('type')} doesn't change whether mail can be delivered")
    email = (event.get("msg") or {}).get("email")
    if not isinstance(email, str) or services.teacher_email_undeliverable(email=email, reason=event_type) is None:
        raise Ignored(f"no teacher has the address {email!r}")


def mailchimp_event_handle(event: dict[str, str]) -> None:
    event_type = event.get("type", "")
    if event_type not in MAILCHIMP_NEWSLETTER:
        raise Ignored(f"{event_type} doesn't change the newsletter flag")
    try:
        # Mailchimp writes fired_at in UTC.
        fired_at = datetime.strptime(event.get("fired_at", ""), MAILCHIMP_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise Ignored(f"fired_at {event.get('fired_at')!r} is not a Mailchimp time") from None
    email = event.get("data[email]", "")
    teacher = services.teacher_newsletter_from_list(
        email=email, subscribed=MAILCHIMP_NEWSLETTER[event_type], at=fired_at
    )
    if teacher is None:
        raise Ignored(f"no teacher has the address {email!r}")

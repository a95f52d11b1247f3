"""Every email to a teacher goes out through teacher_email_send.

It never writes to an address Mandrill told us is undeliverable (the skip is
logged), throttles the kinds a visitor can ask for again and again, renders
`emails/<kind>_subject.txt` and `emails/<kind>.txt`, and records the outcome.
A failure to send is logged, never raised: no sign-up or webhook fails
because the mail server is down.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import SentEmail, Teacher
from todaysmeet import clock

logger = logging.getLogger(__name__)

# Kinds anyone can trigger (sign-up, "send the link again", "forgot my
# password"): at most one per address per interval, so nobody can use us to
# flood a mailbox.
THROTTLED_KINDS = {
    SentEmail.Kind.WELCOME: (SentEmail.Kind.WELCOME, SentEmail.Kind.VERIFICATION),
    SentEmail.Kind.VERIFICATION: (SentEmail.Kind.WELCOME, SentEmail.Kind.VERIFICATION),
    SentEmail.Kind.PASSWORD_RESET: (SentEmail.Kind.PASSWORD_RESET,),
    SentEmail.Kind.SIGN_UP_ATTEMPT: (SentEmail.Kind.SIGN_UP_ATTEMPT,),
}
RESEND_INTERVAL = timedelta(minutes=2)


def link(path: str) -> str:
    """An absolute URL for an email: on PUBLIC_URL, never on the Host a request came with."""
    return settings.EMAIL_LINK_BASE + path


def resend_wait(*, teacher: Teacher, kind: str) -> timedelta | None:
    """How long until another email of `kind` may go to the teacher; None if it may now."""
    kinds = THROTTLED_KINDS.get(kind)
    if kinds is None:
        return None
    last = (
        SentEmail.objects.filter(teacher=teacher, kind__in=kinds, outcome=SentEmail.Outcome.SENT)
        .values_list("at", flat=True)
        .first()
    )
    if last is None:
        return None
    wait = last + RESEND_INTERVAL - clock.now()
    return wait if wait > timedelta(0) else None


def teacher_email_send(*, teacher: Teacher, kind: str, context: dict[str, Any] | None = None) -> str:
    """Send one email of `kind` to the teacher now; returns the SentEmail outcome."""
    if not teacher.email_deliverable:
        logger.info(
            "not sending %s to teacher %s: %s is undeliverable (%s)",
            kind,
            teacher.pk,
            teacher.email,
            teacher.email_undeliverable_reason,
        )
        return _record(teacher, kind, SentEmail.Outcome.UNDELIVERABLE)
    if resend_wait(teacher=teacher, kind=kind) is not None:
        logger.info("not sending %s to teacher %s: one went out less than %s ago", kind, teacher.pk, RESEND_INTERVAL)
        return _record(teacher, kind, SentEmail.Outcome.THROTTLED)
    full_context = {
        "teacher": teacher,
        "name": teacher.name_in_rooms,
        "account_url": link(reverse("accounts:account")),
        **(context or {}),
    }
    return _record(teacher, kind, _deliver(teacher.email, kind, full_context))


def address_email_send(*, to: str, kind: str, context: dict[str, Any] | None = None) -> str:
    """Send one email of `kind` to an address no teacher has (an invitation to sign up); returns the outcome.

    Logged, not recorded: a SentEmail belongs to a teacher. Whoever sends
    these keeps them from repeating (a moderator invitation is emailed again
    at most every RESEND_INTERVAL).
    """
    outcome = _deliver(to, kind, context or {})
    logger.info("%s to an address without an account: %s", kind, outcome)
    return outcome


def _deliver(to: str, kind: str, context: dict[str, Any]) -> str:
    """Render `emails/<kind>…` and send it; the outcome, a failure logged rather than raised."""
    full_context = {"site_url": settings.EMAIL_LINK_BASE, **context}
    subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", full_context).split())
    body = render_to_string(f"emails/{kind}.txt", full_context)
    message = EmailMessage(subject=subject, body=body, to=[to])
    # Mandrill's tag, so its dashboard and webhooks can tell the kinds apart.
    message.tags = [kind]
    try:
        message.send()
    except Exception:
        logger.exception("could not send %s to %s", kind, to)
        return SentEmail.Outcome.FAILED
    return SentEmail.Outcome.SENT


def teacher_email_send_on_commit(*, teacher: Teacher, kind: str, context: dict[str, Any] | None = None) -> None:
    """Send once the current transaction commits: a rolled-back change emails nobody."""
    transaction.on_commit(lambda: teacher_email_send(teacher=teacher, kind=kind, context=context))


def _record(teacher: Teacher, kind: str, outcome: str) -> str:
    SentEmail.objects.create(teacher=teacher, kind=kind, outcome=outcome, to=teacher.email)
    return outcome

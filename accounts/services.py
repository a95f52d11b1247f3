from __future__ import annotations

import functools
import unicodedata
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext

from accounts.emails import resend_wait, teacher_email_send, teacher_email_send_on_commit
from accounts.models import SentEmail, Teacher, TeacherToken
from accounts.verification import sign_up_confirmation_path, verification_path
from rooms.validation import BIDI_CONTROLS
from todaysmeet import clock
from todaysmeet.errors import Conflict, Invalid, RateLimited
from todaysmeet.tokens import token_generate, token_hash

EMAIL_MAX = Teacher._meta.get_field("email").max_length
DISPLAY_NAME_MAX = Teacher._meta.get_field("display_name").max_length
# What PATCH /api/me may change.
TEACHER_SETTINGS = ("display_name", "newsletter", "time_zone")


def clean_email(email: object) -> str:
    if not isinstance(email, str) or not email.strip():
        raise Invalid(gettext("Give an email address."), field="email")
    cleaned = email.strip().lower()
    try:
        validate_email(cleaned)
    except ValidationError:
        raise Invalid(gettext("That is not a valid email address."), field="email") from None
    # Django's validator allows up to 320 characters, more than the column holds.
    if len(cleaned) > EMAIL_MAX:
        raise Invalid(gettext("An email address is at most %(max)s characters.") % {"max": EMAIL_MAX}, field="email")
    return cleaned


@dataclass(frozen=True)
class SignUp:
    """What a sign-up stored, or would have: the address, and the password's hash.

    The answer is the same whether the address was new or known, so nothing
    here tells which; the hash lets the browser that signed up finish
    without typing the password again (accounts/views.py).
    """

    email: str
    password_hash: str


def teacher_sign_up(*, email: object, password: object) -> SignUp:
    """Start a sign-up; what happens next arrives by email, and the answer never says which.

    A new address gets an account that waits, inactive, for the link in its
    welcome email; signing up again before that replaces the password. An
    address that already has an account gets an email saying someone tried,
    with links to sign in and to reset the password, and nothing changes.
    Both ways hash the password and send one email, so neither is quicker.
    """
    cleaned_email = clean_email(email)
    if not isinstance(password, str) or not password:
        raise Invalid(gettext("Give a password."), field="password")
    try:
        validate_password(password, user=Teacher(email=cleaned_email))
    except ValidationError as error:
        raise Invalid(" ".join(error.messages), field="password") from None
    password_hash = make_password(password)
    with transaction.atomic():
        teacher = Teacher.objects.select_for_update().filter(email=cleaned_email).first()
        if teacher is not None and not is_pending(teacher):
            teacher_email_send_on_commit(teacher=teacher, kind=SentEmail.Kind.SIGN_UP_ATTEMPT, context=_known_links())
            return SignUp(email=cleaned_email, password_hash=password_hash)
        if teacher is None:
            teacher = _teacher_pending_create(cleaned_email, password_hash)
        else:
            teacher.password = password_hash
            teacher.save(update_fields=["password"])
        teacher_email_send_on_commit(
            teacher=teacher, kind=SentEmail.Kind.WELCOME, context={"confirm_path": sign_up_confirmation_path(teacher)}
        )
    return SignUp(email=cleaned_email, password_hash=password_hash)


def is_pending(teacher: Teacher) -> bool:
    """Signed up, and the welcome link not opened yet.

    Not merely inactive: an account an operator switched off has been used
    (verified, or signed in to), and signing up again must not revive it.
    """
    return not teacher.is_active and teacher.email_verified_at is None and teacher.last_login is None


def _teacher_pending_create(email: str, password_hash: str) -> Teacher:
    try:
        with transaction.atomic():
            return Teacher.objects.create(email=email, password=password_hash, is_active=False)
    except IntegrityError:
        # Two sign-ups with one new address at once: the other one made it.
        return Teacher.objects.select_for_update().get(email=email)


def _known_links() -> dict[str, str]:
    return {"login_path": reverse("accounts:login"), "reset_path": reverse("accounts:password-reset")}


def teacher_sign_up_confirm(*, teacher: Teacher) -> Teacher:
    """The teacher opened their welcome link: the account works from now on, its address verified."""
    with transaction.atomic():
        locked = Teacher.objects.select_for_update().get(pk=teacher.pk)
        if not locked.is_active:
            locked.is_active = True
            locked.email_verified_at = locked.email_verified_at or clock.now()
            locked.save(update_fields=["is_active", "email_verified_at"])
    return locked


def sign_in_target(email: object) -> str:
    """The account a sign-in attempt is for, as failed attempts are counted against it."""
    try:
        return clean_email(email)
    except Invalid:
        # Not an address anyone has; still a target, so the guesser gains nothing.
        return str(email)[:EMAIL_MAX].strip().lower()


def teacher_authenticate(*, email: object, password: object) -> Teacher | None:
    if not isinstance(password, str):
        return None
    # Anything that could not have signed up can't sign in, and must not reach
    # the database: PostgreSQL refuses a NUL in a query parameter.
    try:
        cleaned_email = clean_email(email)
    except Invalid:
        return None
    teacher = authenticate(username=cleaned_email, password=password)
    return teacher if isinstance(teacher, Teacher) else None


def teacher_token_issue(*, teacher: Teacher) -> str:
    token = token_generate()
    TeacherToken.objects.create(teacher=teacher, key_hash=token_hash(token))
    return token


def clean_display_name(value: object) -> str:
    """The name shown in rooms; empty means "the part of my email before the @"."""
    if not isinstance(value, str):
        raise Invalid(gettext("display_name must be a string."), field="display_name")
    name = value.strip()
    if len(name) > DISPLAY_NAME_MAX:
        raise Invalid(
            gettext("A display name is at most %(max)s characters.") % {"max": DISPLAY_NAME_MAX}, field="display_name"
        )
    # Control characters, lone surrogates and bidi controls, as for nicknames.
    if any(char in BIDI_CONTROLS or unicodedata.category(char) in {"Cc", "Cs"} for char in name):
        raise Invalid(gettext("The display name contains characters that are not allowed."), field="display_name")
    return name


def clean_time_zone(value: object) -> str:
    """An IANA time zone name the server knows (zoneinfo), as browsers report it; "" forgets it."""
    if value == "":
        return ""
    if not isinstance(value, str) or value not in _known_time_zones():
        raise Invalid(gettext("time_zone is an IANA time zone name, such as “Europe/Madrid”."), field="time_zone")
    return value


@functools.cache
def _known_time_zones() -> frozenset[str]:
    # Reading the tz database once: a name from a client is only looked up, never opened as a path.
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def teacher_update(*, teacher: Teacher, changes: Mapping[str, object]) -> Teacher:
    """Change the teacher's own settings (display name, newsletter, time zone); returns the teacher as stored."""
    for key in changes:
        if key not in TEACHER_SETTINGS:
            raise Invalid(gettext("“%(key)s” is not a setting that can be changed here.") % {"key": key}, field=key)
    cleaned: dict[str, object] = {}
    if "display_name" in changes:
        cleaned["display_name"] = clean_display_name(changes["display_name"])
    if "newsletter" in changes:
        if not isinstance(changes["newsletter"], bool):
            raise Invalid(gettext("newsletter is true or false."), field="newsletter")
        cleaned["newsletter"] = changes["newsletter"]
    if "time_zone" in changes:
        cleaned["time_zone"] = clean_time_zone(changes["time_zone"])
    with transaction.atomic():
        locked = Teacher.objects.select_for_update().get(pk=teacher.pk)
        changed = [field for field, value in cleaned.items() if getattr(locked, field) != value]
        for field in changed:
            setattr(locked, field, cleaned[field])
        if "newsletter" in changed:
            locked.newsletter_updated_at = clock.now()
            changed.append("newsletter_updated_at")
        if changed:
            locked.save(update_fields=changed)
    return locked


def teacher_email_verify(*, teacher: Teacher) -> Teacher:
    """Mark the address verified (the teacher opened a valid link); verifying twice changes nothing."""
    with transaction.atomic():
        locked = Teacher.objects.select_for_update().get(pk=teacher.pk)
        if locked.email_verified_at is None:
            locked.email_verified_at = clock.now()
            locked.save(update_fields=["email_verified_at"])
    return locked


def teacher_verification_email_send(*, teacher: Teacher) -> None:
    """Send the verification link again, if the address needs it and can receive it."""
    if teacher.email_verified:
        raise Conflict(gettext("Your email address is already verified."), code="already_verified")
    if not teacher.email_deliverable:
        raise Conflict(
            gettext("Email to your address bounced, so we can't send the link. Sign up with another address."),
            code="email_undeliverable",
        )
    wait = resend_wait(teacher=teacher, kind=SentEmail.Kind.VERIFICATION)
    if wait is not None:
        raise RateLimited(gettext("We sent a link a moment ago. Check your inbox."), retry_after=wait.total_seconds())
    teacher_email_send(
        teacher=teacher, kind=SentEmail.Kind.VERIFICATION, context={"verify_path": verification_path(teacher)}
    )


def teacher_email_undeliverable(*, email: str, reason: str) -> Teacher | None:
    """Stop all mail to `email` (a hard bounce, reject or complaint); the teacher, or None if none has it."""
    with transaction.atomic():
        teacher = Teacher.objects.select_for_update().filter(email=email.strip().lower()).first()
        if teacher is not None and teacher.email_undeliverable_at is None:
            teacher.email_undeliverable_at = clock.now()
            teacher.email_undeliverable_reason = reason[:32]
            teacher.save(update_fields=["email_undeliverable_at", "email_undeliverable_reason"])
    return teacher


def teacher_newsletter_from_list(*, email: str, subscribed: bool, at: datetime) -> Teacher | None:
    """Follow the mailing list's record of the teacher's choice, unless the teacher chose again since `at`.

    Returns the teacher, or None if no teacher has the address.
    """
    with transaction.atomic():
        teacher = Teacher.objects.select_for_update().filter(email=email.strip().lower()).first()
        if teacher is None:
            return None
        if teacher.newsletter_updated_at is not None and teacher.newsletter_updated_at > at:
            return teacher
        teacher.newsletter = subscribed
        teacher.newsletter_updated_at = at
        teacher.save(update_fields=["newsletter", "newsletter_updated_at"])
    return teacher

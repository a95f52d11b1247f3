from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import Teacher, TeacherToken
from todaysmeet.errors import Conflict, Invalid
from todaysmeet.tokens import token_generate, token_hash

EMAIL_MAX = Teacher._meta.get_field("email").max_length


def clean_email(email: object) -> str:
    if not isinstance(email, str) or not email.strip():
        raise Invalid("Give an email address.", field="email")
    cleaned = email.strip().lower()
    try:
        validate_email(cleaned)
    except ValidationError:
        raise Invalid("That is not a valid email address.", field="email") from None
    # Django's validator allows up to 320 characters, more than the column holds.
    if len(cleaned) > EMAIL_MAX:
        raise Invalid(f"An email address is at most {EMAIL_MAX} characters.", field="email")
    return cleaned


def teacher_create(*, email: object, password: object) -> Teacher:
    cleaned_email = clean_email(email)
    if not isinstance(password, str) or not password:
        raise Invalid("Give a password.", field="password")
    try:
        validate_password(password, user=Teacher(email=cleaned_email))
    except ValidationError as error:
        raise Invalid(" ".join(error.messages), field="password") from None
    if Teacher.objects.filter(email=cleaned_email).exists():
        raise Conflict("An account with that email already exists.", code="email_taken")
    try:
        with transaction.atomic():
            return Teacher.objects.create_user(cleaned_email, password)
    except IntegrityError:
        # Two sign-ups with one email raced past the check above.
        raise Conflict("An account with that email already exists.", code="email_taken") from None


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

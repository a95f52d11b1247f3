"""Signing a teacher in from a request, held back by the limits on guessing (todaysmeet/attempts.py).

The sign-in page, the token API and the sign-up link's page all go through
here, so their failures count together.
"""

from __future__ import annotations

from django.http import HttpRequest

from accounts import services
from accounts.models import Teacher
from todaysmeet import attempts


def teacher_sign_in(request: HttpRequest, *, email: object, password: object) -> Teacher | None:
    """The teacher, or None for a wrong email or password; RateLimited while guessing is held back."""
    account = services.sign_in_target(email)
    attempts.refuse_if_over_limit(request, attempts.SIGN_IN, target=account)
    teacher = services.teacher_authenticate(email=email, password=password)
    if teacher is None:
        attempts.count_attempt(request, attempts.SIGN_IN, target=account)
    return teacher


def sign_up_password_checked(request: HttpRequest, *, teacher: Teacher, password: object) -> bool:
    """Whether `password` is the one a pending sign-up chose; held back, and counted, as sign-ins are."""
    attempts.refuse_if_over_limit(request, attempts.SIGN_IN, target=teacher.email)
    if isinstance(password, str) and teacher.check_password(password):
        return True
    attempts.count_attempt(request, attempts.SIGN_IN, target=teacher.email)
    return False

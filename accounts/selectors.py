from __future__ import annotations

from accounts.models import Teacher, TeacherToken
from todaysmeet.tokens import token_hash


def teacher_for_token(token: str) -> Teacher | None:
    row = (
        TeacherToken.objects.select_related("teacher")
        .filter(key_hash=token_hash(token), teacher__is_active=True)
        .first()
    )
    return row.teacher if row else None


def teacher_for_email(email: str) -> Teacher | None:
    """The active teacher with this (already cleaned, lowercase) email."""
    return Teacher.objects.filter(email=email, is_active=True).first()

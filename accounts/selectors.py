from __future__ import annotations

from accounts.models import Teacher, TeacherToken
from todaysmeet.db.compiled_query import CompiledQuery
from todaysmeet.tokens import token_hash

# Read on every request a teacher's token makes: compiled once.
_TOKEN_WITH_TEACHER = CompiledQuery(
    lambda *, key_hash: (
        TeacherToken.objects.select_related("teacher")
        .filter(key_hash=key_hash, teacher__is_active=True)
        .order_by("pk")[:1]
    ),
    values={"key_hash": str},
)


def teacher_for_token(token: str) -> Teacher | None:
    row = _TOKEN_WITH_TEACHER.first(key_hash=token_hash(token))
    return row.teacher if row else None


def teacher_for_email(email: str) -> Teacher | None:
    """The active teacher with this (already cleaned, lowercase) email."""
    return Teacher.objects.filter(email=email, is_active=True).first()

"""Email verification links: Django's password-reset token machinery, keyed to the address and its state.

A link stops working once the address is verified or changed, and after
PASSWORD_RESET_TIMEOUT, like a password reset link.
"""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Teacher


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.verification.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user: Teacher, timestamp: int) -> str:
        return f"{user.pk}{user.email}{user.email_verified_at}{timestamp}"


email_verification_tokens = EmailVerificationTokenGenerator()


def verification_path(teacher: Teacher) -> str:
    return reverse(
        "accounts:verify",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(teacher.pk)),
            "token": email_verification_tokens.make_token(teacher),
        },
    )

"""Links in emails that prove a teacher holds their address: Django's password-reset token machinery.

A verification link stops working once the address is verified or changed;
a sign-up's link is good until PASSWORD_RESET_TIMEOUT, like a password reset
link, and opening it again once the account works just asks to sign in.
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


class SignUpTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.verification.SignUpTokenGenerator"

    def _make_hash_value(self, user: Teacher, timestamp: int) -> str:
        return f"{user.pk}{user.email}{timestamp}"


sign_up_tokens = SignUpTokenGenerator()


def sign_up_confirmation_path(teacher: Teacher) -> str:
    """The link in a welcome email, which finishes signing up."""
    return reverse(
        "accounts:signup-confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(teacher.pk)), "token": sign_up_tokens.make_token(teacher)},
    )

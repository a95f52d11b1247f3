from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse

from accounts.emails import teacher_email_send
from accounts.models import SentEmail


class TeacherPasswordResetForm(PasswordResetForm):
    """Django's reset form and tokens, with the email sent our way.

    Through teacher_email_send, so an undeliverable address is skipped and
    repeats are throttled, and with the link on PUBLIC_URL rather than on
    the Host header of the request that asked for it.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        reset_path = reverse(
            "accounts:password-reset-confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        teacher_email_send(
            teacher=context["user"], kind=SentEmail.Kind.PASSWORD_RESET, context={"reset_path": reset_path}
        )

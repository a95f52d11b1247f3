from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from todaysmeet import clock


class TeacherManager(BaseUserManager):
    def create_user(self, email: str, password: str | None = None, **extra) -> Teacher:
        teacher = self.model(email=self.normalize_email(email).lower(), **extra)
        teacher.set_password(password)
        teacher.save(using=self._db)
        return teacher

    def create_superuser(self, email: str, password: str | None = None, **extra) -> Teacher:
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class Teacher(AbstractBaseUser, PermissionsMixin):
    """A signed-up person who owns rooms. Students never need one."""

    email = models.EmailField(max_length=254, unique=True)
    display_name = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the teacher opens the link in their welcome (or a later) email.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Set when Mandrill reports a hard bounce, a reject or a spam complaint:
    # from then on nothing is sent to the address.
    email_undeliverable_at = models.DateTimeField(null=True, blank=True)
    email_undeliverable_reason = models.CharField(max_length=32, blank=True)
    newsletter = models.BooleanField(default=False)
    # When the flag last changed, here or in Mailchimp: an older Mailchimp
    # event than this must not undo a newer choice.
    newsletter_updated_at = models.DateTimeField(null=True, blank=True)
    # An IANA name ("America/Chicago"), sent by their browser: transcripts
    # are in it. "" until a browser said, and then transcripts are in UTC.
    time_zone = models.CharField(max_length=64, blank=True, default="", db_default="")

    objects = TeacherManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        ordering = ["email"]
        # Emails are stored lowercase; the index makes that a hard guarantee
        # even for rows written around the service layer.
        constraints = [models.UniqueConstraint(Lower("email"), name="teacher_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def name_in_rooms(self) -> str:
        return self.display_name or self.email.split("@", 1)[0][:32]

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def email_deliverable(self) -> bool:
        return self.email_undeliverable_at is None


class TeacherToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token for {self.teacher}"


class SentEmail(models.Model):
    """One email we sent a teacher, or chose not to: for throttling resends, and for an operator to look back."""

    class Kind(models.TextChoices):
        WELCOME = "welcome"
        # Someone signed up with the address of an existing account.
        SIGN_UP_ATTEMPT = "signup_attempt"
        VERIFICATION = "verification"
        PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of email, not a password)
        RECEIPT = "receipt"
        PAYMENT_FAILED = "payment_failed"
        PLAN_CANCELED = "plan_canceled"
        # A room's owner asked the address to co-moderate (sent to non-teachers too: see rooms.services).
        MODERATOR_INVITATION = "invitation"

    class Outcome(models.TextChoices):
        SENT = "sent"
        UNDELIVERABLE = "undeliverable"
        THROTTLED = "throttled"
        FAILED = "failed"

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="sent_emails")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    outcome = models.CharField(max_length=13, choices=Outcome.choices)
    to = models.EmailField(max_length=254)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["teacher", "kind", "at"], name="sent_email_teacher_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}: {self.outcome}"

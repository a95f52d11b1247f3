from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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


class TeacherToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token for {self.teacher}"

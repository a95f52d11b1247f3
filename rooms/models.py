from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from todaysmeet import clock


class Room(models.Model):
    name = models.CharField(max_length=40, unique=True)
    topic = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rooms")
    created_at = models.DateTimeField(default=clock.now)
    closes_at = models.DateTimeField(null=True, blank=True)
    # Head of the room's event stream. Incremented under this row's lock, so
    # the order of seqs is the order in which their transactions commit.
    seq = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("rooms:room", kwargs={"name": self.name})

    @property
    def is_open(self) -> bool:
        return self.closes_at is None or self.closes_at > clock.now()


class Participant(models.Model):
    """A student in one room, known by a nickname and a bearer token."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="participants")
    nickname = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    joined_at = models.DateTimeField(default=clock.now)
    # Token bucket for the post rate limit, kept on the row so every process
    # sees the same budget.
    post_allowance = models.FloatField(default=0)
    post_allowance_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return f"{self.nickname} in {self.room}"


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.BigIntegerField()
    participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "p<id>" or "t<id>": one column to scope idempotency keys to an author.
    author_key = models.CharField(max_length=24)
    nickname = models.CharField(max_length=32)
    text = models.TextField()
    client_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_room_seq_unique"),
            models.UniqueConstraint(
                fields=["room", "author_key", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="message_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room}#{self.seq}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class RoomEvent(models.Model):
    """One entry in a room's gapless stream; replayed to clients that resume."""

    class Type(models.TextChoices):
        MESSAGE_CREATED = "message.created"
        MESSAGE_DELETED = "message.deleted"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=32, choices=Type.choices)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="event_room_seq_unique")]

    def __str__(self) -> str:
        return f"{self.room}@{self.seq} {self.type}"

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse

from todaysmeet import clock


class Room(models.Model):
    class Lifetime(models.TextChoices):
        TWO_HOURS = "2h"
        ONE_DAY = "1d"
        ONE_WEEK = "1w"
        ONE_MONTH = "1mo"
        ONE_YEAR = "1y"

    name = models.CharField(max_length=40, unique=True)
    topic = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rooms")
    created_at = models.DateTimeField(default=clock.now)
    lifetime = models.CharField(max_length=3, choices=Lifetime.choices, default=Lifetime.ONE_WEEK)
    closes_at = models.DateTimeField()
    paused = models.BooleanField(default=False)
    slow_mode_seconds = models.PositiveSmallIntegerField(default=0)
    # Empty for a public room. Only the hash is kept; the version goes up on
    # every new password and retires every participant who joined before.
    password_hash = models.CharField(max_length=128, blank=True)
    password_version = models.PositiveIntegerField(default=0)
    # No new participants while set; those who joined before may still come back.
    # db_default: processes of the previous release insert rooms without it.
    joining_locked = models.BooleanField(default=False, db_default=False)
    # Head of the room's event stream. Incremented under this row's lock, so
    # the order of seqs is the order in which their transactions commit.
    seq = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["closes_at"], name="room_closes_at_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("rooms:room", kwargs={"name": self.name})

    @property
    def is_open(self) -> bool:
        return clock.now() < self.closes_at

    @property
    def is_private(self) -> bool:
        return bool(self.password_hash)

    @property
    def lifetime_span(self) -> timedelta:
        return LIFETIME_SPANS[self.lifetime]


LIFETIME_SPANS = {
    Room.Lifetime.TWO_HOURS: timedelta(hours=2),
    Room.Lifetime.ONE_DAY: timedelta(days=1),
    Room.Lifetime.ONE_WEEK: timedelta(days=7),
    Room.Lifetime.ONE_MONTH: timedelta(days=30),
    Room.Lifetime.ONE_YEAR: timedelta(days=365),
}


class RoomModerator(models.Model):
    """A teacher the owner trusts to run the room with them."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="moderator_links")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderated_links")
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["room", "teacher"], name="room_moderator_unique")]

    def __str__(self) -> str:
        return f"{self.teacher} moderates {self.room}"


class ModeratorInvitation(models.Model):
    """The owner asked whoever holds `email` to co-moderate the room; they accept it signed in."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="moderator_invitations")
    email = models.EmailField(max_length=254)
    invited_at = models.DateTimeField(default=clock.now)
    # When the invitation was last emailed, so asking again doesn't flood the inbox.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invited_at", "id"]
        constraints = [models.UniqueConstraint(fields=["room", "email"], name="moderator_invitation_unique")]
        indexes = [models.Index(fields=["email"], name="moderator_invitation_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} invited to {self.room}"


class Participant(models.Model):
    """A student in one room, known by a nickname and a bearer token."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="participants")
    nickname = models.CharField(max_length=32)
    # "#rrggbb", picked at join and never changed, so a teacher can follow one
    # person through nickname changes.
    color = models.CharField(max_length=7)
    muted = models.BooleanField(default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    # The room's password_version when this participant joined; any other
    # value means the password changed since and the token no longer works.
    password_version = models.PositiveIntegerField(default=0)
    joined_at = models.DateTimeField(default=clock.now)
    # Token bucket for the post rate limit, kept on the row so every process
    # sees the same budget.
    post_allowance = models.FloatField(default=0)
    post_allowance_at = models.DateTimeField(null=True, blank=True)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    # Who joined, beyond the token: the SHA-256 of the browser's key
    # (rooms/identity.py; "" for clients that aren't browsers), and a keyed
    # hash of the network address they joined from ("" for those who joined
    # before addresses counted). Never the address itself.
    browser_key_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    address_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    # Set when they were muted on joining because someone at the same address
    # had been muted or removed before: whose mute this is. Participants are
    # deleted only with their room, all at once, so no id here can dangle;
    # with no constraint or index, adding the column locks nothing.
    muted_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    # When a teacher removed and blocked them: their token and browser no
    # longer act in the room.
    blocked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return f"{self.nickname} in {self.room}"

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None


class RoomAddress(models.Model):
    """One network address in one room: the post budget that everyone who joined from it shares.

    A classroom shares one address, so its budget is generous; it bounds what
    fresh identities from one address can post, however many are made.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    address_hash = models.CharField(max_length=64)
    # Token bucket, as on Participant, with the ADDRESS_POST_RATE_* settings.
    post_allowance = models.FloatField(default=0)
    post_allowance_at = models.DateTimeField(null=True, blank=True)
    # The last post from this address: a participant who joins from it later
    # waits out slow mode from here.
    last_posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["room", "address_hash"]
        constraints = [models.UniqueConstraint(fields=["room", "address_hash"], name="room_address_unique")]

    def __str__(self) -> str:
        return f"{self.address_hash[:8]} in {self.room}"


class Role(models.TextChoices):
    PARTICIPANT = "participant"
    OWNER = "owner"
    MODERATOR = "moderator"


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.BigIntegerField()
    participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "p<id>" or "t<id>": one column to scope idempotency keys to an author.
    author_key = models.CharField(max_length=24)
    # The author's role when they posted; a moderator removed later still
    # posted as a moderator.
    author_role = models.CharField(max_length=11, choices=Role.choices, default=Role.PARTICIPANT)
    nickname = models.CharField(max_length=32)
    # Copied from the participant: it never changes, and every message payload
    # needs it without a join.
    color = models.CharField(max_length=7, blank=True)
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
        ROOM_UPDATED = "room.updated"
        PARTICIPANT_UPDATED = "participant.updated"
        REPORT_CREATED = "report.created"
        REPORT_RESOLVED = "report.resolved"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=32, choices=Type.choices)
    # Messages are hard-deleted only with their room, after its events
    # (rooms.services.room_delete and rooms_purge); DO_NOTHING keeps that one
    # DELETE statement instead of Django loading every message to cascade by hand.
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+")
    # For events not about a message: the payload as it was when it happened,
    # so a replay shows what live listeners saw.
    data = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="event_room_seq_unique")]

    def __str__(self) -> str:
        return f"{self.room}@{self.seq} {self.type}"


class Report(models.Model):
    """A participant flagging a message for the room's moderators."""

    class Resolution(models.TextChoices):
        DELETED = "deleted"
        DISMISSED = "dismissed"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="reports")
    # See RoomEvent.message for why this is DO_NOTHING.
    message = models.ForeignKey(Message, on_delete=models.DO_NOTHING, related_name="reports")
    reporter = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=9, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "reporter"],
                condition=models.Q(resolved_at__isnull=True),
                name="report_one_open_per_reporter",
            )
        ]
        indexes = [models.Index(fields=["room", "resolved_at"], name="report_room_open_idx")]

    def __str__(self) -> str:
        return f"report {self.pk} on {self.message}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

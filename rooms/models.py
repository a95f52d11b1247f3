from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse

from todaysmeet import clock


class Room(models.Model):
    class WordFilter(models.TextChoices):
        OFF = "off"
        # A matching post goes to the review queue, even with review off.
        HOLD = "hold"
        # A matching post is published with the words starred.
        MASK = "mask"

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
    # When slow mode was last switched on: only posts made since count
    # against a participant, so nobody waits for one made before it.
    slow_mode_since = models.DateTimeField(null=True, blank=True)
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
    # Q&A settings. Every column added after the first release has a database
    # default too (db_default), so the code of the release before, still
    # running during a rolling deploy, can insert rows without naming it.
    review = models.BooleanField(default=False, db_default=False)
    word_filter = models.CharField(
        max_length=4, choices=WordFilter.choices, default=WordFilter.OFF, db_default=WordFilter.OFF
    )
    # The teacher's own words for the filter, one per line, lowercase.
    blocked_words = models.TextField(blank=True, default="", db_default="")
    anonymous = models.BooleanField(default=False, db_default=False)
    # When the last message.votes event was recorded: the flush of vote counts
    # decides under this row's lock whether the next one may go yet.
    votes_event_at = models.DateTimeField(null=True, blank=True)

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

    @property
    def blocked_word_list(self) -> list[str]:
        return self.blocked_words.splitlines() if self.blocked_words else []


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
    # rooms.validation.nickname_key(nickname): the form in which two nicknames
    # are the same one. Text, not 32 characters: NFKC may lengthen a name.
    # "" on rows the release before inserted during a rolling deploy.
    nickname_key = models.TextField(blank=True, default="", db_default="")
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
        indexes = [
            # Whether a nickname is taken in a room: by those who joined in its last lifetime.
            models.Index(fields=["room", "nickname_key", "joined_at"], name="participant_nickname_idx")
        ]

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


def author_key_for(*, participant_id: int | None = None, teacher_id: int | None = None) -> str:
    """ "p<id>" or "t<id>": one column to tell authors (and voters) apart, whatever they are."""
    return f"p{participant_id}" if participant_id is not None else f"t{teacher_id}"


class Role(models.TextChoices):
    PARTICIPANT = "participant"
    OWNER = "owner"
    MODERATOR = "moderator"


class Message(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published"
        # Waiting in the review queue: only its author and the moderators know of it.
        HELD = "held"
        # Refused from the queue; kept, like a deleted message, as evidence.
        REJECTED = "rejected"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    # The seq of the event that made the message what everyone who sees it
    # sees: its message.created, or while it is held its message.held (an
    # approval moves it to the approval's seq).
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
    status = models.CharField(
        max_length=9, choices=Status.choices, default=Status.PUBLISHED, db_default=Status.PUBLISHED
    )
    # Posted while the room was anonymous: it stays anonymous whatever the
    # room's setting later, as promised when it was written.
    anonymous = models.BooleanField(default=False, db_default=False)
    # The word filter matched the text; with "mask", masked_text is what
    # everyone but the moderators reads (they keep `text` as evidence).
    filtered = models.BooleanField(default=False, db_default=False)
    masked_text = models.TextField(blank=True, default="", db_default="")
    # At most one per room: pinning takes the room lock and unpins the other.
    pinned = models.BooleanField(default=False, db_default=False)
    answered = models.BooleanField(default=False, db_default=False)
    upvotes = models.IntegerField(default=0, db_default=0)
    # The count the last message.votes event announced; a message whose
    # upvotes differ from it is waiting for the next flush.
    upvotes_published = models.IntegerField(default=0, db_default=0)

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
        indexes = [
            # GET …/messages?order=top
            models.Index(fields=["room", "-upvotes", "-seq"], name="message_room_top_idx"),
            # The review queue, and the flush of vote counts: both small slices of a room.
            models.Index(fields=["room", "seq"], condition=models.Q(status="held"), name="message_held_idx"),
            models.Index(
                fields=["room"],
                condition=~models.Q(upvotes=models.F("upvotes_published")),
                name="message_votes_dirty_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room}#{self.seq}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_visible(self) -> bool:
        """Whether everyone who may read the room sees it."""
        return self.status == Message.Status.PUBLISHED and self.deleted_at is None


class MessageVote(models.Model):
    """One upvote: one per participant, or per teacher, and message."""

    # See RoomEvent.message for why this is DO_NOTHING.
    message = models.ForeignKey(Message, on_delete=models.DO_NOTHING, related_name="votes")
    # "p<id>" or "t<id>", as Message.author_key.
    voter_key = models.CharField(max_length=24)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["message", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["message", "voter_key"], name="message_vote_unique")]

    def __str__(self) -> str:
        return f"{self.voter_key} upvotes {self.message_id}"


class RoomEvent(models.Model):
    """One entry in a room's gapless stream; replayed to clients that resume."""

    class Type(models.TextChoices):
        MESSAGE_CREATED = "message.created"
        MESSAGE_DELETED = "message.deleted"
        ROOM_UPDATED = "room.updated"
        PARTICIPANT_UPDATED = "participant.updated"
        REPORT_CREATED = "report.created"
        REPORT_RESOLVED = "report.resolved"
        MESSAGE_HELD = "message.held"
        MESSAGE_REJECTED = "message.rejected"
        MESSAGE_UPDATED = "message.updated"
        MESSAGE_VOTES = "message.votes"
        MESSAGE_RESTORED = "message.restored"

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

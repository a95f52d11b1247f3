"""Upvotes, pinning, the review queue, the word filter and anonymous rooms.

Safe for a rolling deploy: every column is added with a database default
(db_default), so the release before, still serving while the processes
restart one by one, inserts rooms and messages without naming them; nothing
is dropped or renamed. The indexes come in 0006, built without blocking posts.
"""

import django.db.models.deletion
from django.db import migrations, models

import todaysmeet.clock


class Migration(migrations.Migration):
    dependencies = [("rooms", "0004_room_updated_events_without_url")]

    operations = [
        migrations.AddField(
            model_name="room", name="review", field=models.BooleanField(db_default=False, default=False)
        ),
        migrations.AddField(
            model_name="room",
            name="word_filter",
            field=models.CharField(
                choices=[("off", "Off"), ("hold", "Hold"), ("mask", "Mask")],
                db_default="off",
                default="off",
                max_length=4,
            ),
        ),
        migrations.AddField(
            model_name="room", name="blocked_words", field=models.TextField(blank=True, db_default="", default="")
        ),
        migrations.AddField(
            model_name="room", name="anonymous", field=models.BooleanField(db_default=False, default=False)
        ),
        migrations.AddField(
            model_name="room", name="votes_event_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="message",
            name="status",
            field=models.CharField(
                choices=[("published", "Published"), ("held", "Held"), ("rejected", "Rejected")],
                db_default="published",
                default="published",
                max_length=9,
            ),
        ),
        migrations.AddField(
            model_name="message", name="anonymous", field=models.BooleanField(db_default=False, default=False)
        ),
        migrations.AddField(
            model_name="message", name="filtered", field=models.BooleanField(db_default=False, default=False)
        ),
        migrations.AddField(
            model_name="message", name="masked_text", field=models.TextField(blank=True, db_default="", default="")
        ),
        migrations.AddField(
            model_name="message", name="pinned", field=models.BooleanField(db_default=False, default=False)
        ),
        migrations.AddField(
            model_name="message", name="answered", field=models.BooleanField(db_default=False, default=False)
        ),
        migrations.AddField(model_name="message", name="upvotes", field=models.IntegerField(db_default=0, default=0)),
        migrations.AddField(
            model_name="message", name="upvotes_published", field=models.IntegerField(db_default=0, default=0)
        ),
        migrations.AlterField(
            model_name="roomevent",
            name="type",
            field=models.CharField(
                choices=[
                    ("message.created", "Message Created"),
                    ("message.deleted", "Message Deleted"),
                    ("room.updated", "Room Updated"),
                    ("participant.updated", "Participant Updated"),
                    ("report.created", "Report Created"),
                    ("report.resolved", "Report Resolved"),
                    ("message.held", "Message Held"),
                    ("message.rejected", "Message Rejected"),
                    ("message.updated", "Message Updated"),
                    ("message.votes", "Message Votes"),
                ],
                max_length=32,
            ),
        ),
        migrations.CreateModel(
            name="MessageVote",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("voter_key", models.CharField(max_length=24)),
                ("created_at", models.DateTimeField(default=todaysmeet.clock.now)),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="votes", to="rooms.message"
                    ),
                ),
            ],
            options={
                "ordering": ["message", "created_at", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("message", "voter_key"), name="message_vote_unique")
                ],
            },
        ),
    ]

from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import todaysmeet.clock


def rooms_get_a_closing_time(apps, schema_editor):
    # Rooms made before lifetimes existed get the default one, counted from creation.
    Room = apps.get_model("rooms", "Room")
    for room in Room.objects.filter(closes_at__isnull=True).only("pk", "created_at"):
        Room.objects.filter(pk=room.pk).update(closes_at=room.created_at + timedelta(days=7))


def teacher_messages_were_the_owners(apps, schema_editor):
    # Before moderators, only a room's owner could post as a teacher.
    Message = apps.get_model("rooms", "Message")
    Message.objects.filter(teacher__isnull=False).update(author_role="owner")


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="room",
            name="lifetime",
            field=models.CharField(
                choices=[("2h", "Two Hours"), ("1d", "One Day"), ("1w", "One Week"), ("1mo", "One Month"), ("1y", "One Year")],
                default="1w",
                max_length=3,
            ),
        ),
        migrations.AddField(model_name="room", name="paused", field=models.BooleanField(default=False)),
        migrations.AddField(
            model_name="room", name="slow_mode_seconds", field=models.PositiveSmallIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="room", name="password_hash", field=models.CharField(blank=True, max_length=128)
        ),
        migrations.AddField(
            model_name="room", name="password_version", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddIndex(
            model_name="room", index=models.Index(fields=["closes_at"], name="room_closes_at_idx")
        ),
        migrations.CreateModel(
            name="RoomModerator",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("added_at", models.DateTimeField(default=todaysmeet.clock.now)),
                (
                    "room",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="moderator_links", to="rooms.room"
                    ),
                ),
                (
                    "teacher",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="moderated_links",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["added_at", "id"],
                "constraints": [models.UniqueConstraint(fields=("room", "teacher"), name="room_moderator_unique")],
            },
        ),
        migrations.AddField(
            model_name="participant",
            name="color",
            field=models.CharField(default="#475569", max_length=7),
            preserve_default=False,
        ),
        migrations.AddField(model_name="participant", name="muted", field=models.BooleanField(default=False)),
        migrations.AddField(
            model_name="participant", name="password_version", field=models.PositiveIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="participant", name="last_posted_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="message",
            name="author_role",
            field=models.CharField(
                choices=[("participant", "Participant"), ("owner", "Owner"), ("moderator", "Moderator")],
                default="participant",
                max_length=11,
            ),
        ),
        migrations.AddField(
            model_name="message", name="color", field=models.CharField(blank=True, max_length=7)
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
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="roomevent",
            name="message",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="rooms.message",
            ),
        ),
        migrations.AddField(model_name="roomevent", name="data", field=models.JSONField(blank=True, null=True)),
        migrations.CreateModel(
            name="Report",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("reason", models.CharField(blank=True, max_length=200)),
                ("created_at", models.DateTimeField(default=todaysmeet.clock.now)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "resolution",
                    models.CharField(
                        blank=True, choices=[("deleted", "Deleted"), ("dismissed", "Dismissed")], max_length=9
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="reports", to="rooms.message"
                    ),
                ),
                (
                    "reporter",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="reports", to="rooms.participant"
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="reports", to="rooms.room"
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "indexes": [models.Index(fields=["room", "resolved_at"], name="report_room_open_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("resolved_at__isnull", True)),
                        fields=("message", "reporter"),
                        name="report_one_open_per_reporter",
                    )
                ],
            },
        ),
        migrations.RunPython(rooms_get_a_closing_time, migrations.RunPython.noop),
        migrations.RunPython(teacher_messages_were_the_owners, migrations.RunPython.noop),
    ]

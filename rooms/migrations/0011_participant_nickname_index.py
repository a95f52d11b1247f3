"""The index joins look a nickname up by, built without blocking joins to live rooms (see 0006)."""

from importlib import import_module

from django.db import migrations, models

AddIndexWithoutBlockingWrites = import_module(
    "rooms.migrations.0006_questions_and_answers_indexes"
).AddIndexWithoutBlockingWrites


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("rooms", "0010_participant_nickname_key")]

    operations = [
        AddIndexWithoutBlockingWrites(
            model_name="participant",
            index=models.Index(fields=["room", "nickname_key", "joined_at"], name="participant_nickname_idx"),
        ),
    ]

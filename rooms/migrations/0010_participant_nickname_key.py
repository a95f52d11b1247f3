"""Participants keep their nickname's key, so a room can tell a taken nickname by an index.

The column has a database default, so the release before (which doesn't know
it) can still insert participants during a rolling deploy. Existing rows get
their key here, in batches, so the nicknames of rooms already running count.
"""

from django.db import migrations, models

BATCH_SIZE = 1000


def fill_nickname_keys(apps, schema_editor):
    # The live function, not a copy: the keys must match what joins compute.
    from rooms.validation import nickname_key

    Participant = apps.get_model("rooms", "Participant")
    last_pk = 0
    while True:
        batch = list(Participant.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "nickname")[:BATCH_SIZE])
        if not batch:
            return
        for participant in batch:
            participant.nickname_key = nickname_key(participant.nickname)
        Participant.objects.bulk_update(batch, ["nickname_key"])
        last_pk = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("rooms", "0009_restore_and_slow_mode_since")]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="nickname_key",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.RunPython(fill_nickname_keys, migrations.RunPython.noop, elidable=True),
    ]

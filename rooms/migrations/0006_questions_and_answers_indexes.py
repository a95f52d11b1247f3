"""The indexes the Q&A features read by, built without blocking a live room.

A plain CREATE INDEX holds off every INSERT into the table until it is
built, and a busy deployment's message table is large: on PostgreSQL they
are built CONCURRENTLY, which needs a migration outside a transaction.
"""

from django.db import migrations, models


class AddIndexWithoutBlockingWrites(migrations.AddIndex):
    """AddIndex, CONCURRENTLY on PostgreSQL (other databases build it as usual)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("rooms", "0005_questions_and_answers")]

    operations = [
        # GET …/messages?order=top
        AddIndexWithoutBlockingWrites(
            model_name="message",
            index=models.Index(fields=["room", "-upvotes", "-seq"], name="message_room_top_idx"),
        ),
        # The review queue and the flush of vote counts: each a small slice of a room.
        AddIndexWithoutBlockingWrites(
            model_name="message",
            index=models.Index(condition=models.Q(status="held"), fields=["room", "seq"], name="message_held_idx"),
        ),
        AddIndexWithoutBlockingWrites(
            model_name="message",
            index=models.Index(
                condition=~models.Q(upvotes=models.F("upvotes_published")),
                fields=["room"],
                name="message_votes_dirty_idx",
            ),
        ),
    ]

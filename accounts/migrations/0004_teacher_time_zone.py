"""Teachers remember their browser's time zone, for transcripts.

With a database default, so the release before can still insert teachers during a rolling deploy.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_more_kinds_of_email")]

    operations = [
        migrations.AddField(
            model_name="teacher",
            name="time_zone",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
    ]

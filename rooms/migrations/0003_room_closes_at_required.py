from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0002: PostgreSQL refuses to alter a table in the transaction
    # that just updated its rows.
    dependencies = [("rooms", "0002_teacher_tools")]

    operations = [
        migrations.AlterField(model_name="room", name="closes_at", field=models.DateTimeField()),
    ]

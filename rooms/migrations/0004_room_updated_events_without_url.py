from django.db import migrations

# Events rewritten per round trip: bounds the memory a large event log needs.
BATCH_SIZE = 1000


def drop_room_urls(apps, schema_editor):
    """Take the room's url out of every stored room.updated event.

    It held the Host of whichever teacher made the change, and every replay
    repeated it; room names never change, so clients have the URL already.
    """
    RoomEvent = apps.get_model("rooms", "RoomEvent")
    with_url = RoomEvent.objects.filter(type="room.updated", data__room__has_key="url").order_by("pk")
    # Each pass finds only rows the earlier ones left: a rewritten row no longer matches.
    while batch := list(with_url.only("pk", "data")[:BATCH_SIZE]):
        for event in batch:
            del event.data["room"]["url"]
        RoomEvent.objects.bulk_update(batch, ["data"])


class Migration(migrations.Migration):
    dependencies = [("rooms", "0003_room_closes_at_required")]

    operations = [
        # Backwards leaves the events as they are: nothing reads a room.updated url.
        migrations.RunPython(drop_room_urls, migrations.RunPython.noop),
    ]

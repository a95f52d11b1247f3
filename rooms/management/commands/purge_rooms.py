"""`manage.py purge_rooms`: delete rooms that closed long ago, with everything said in them."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from rooms import services
from todaysmeet import clock

RETENTION_DAYS = 30


class Command(BaseCommand):
    help = (
        f"Delete rooms that closed more than --days (default {RETENTION_DAYS}) days ago, with their messages, "
        "events, participants and reports. Safe to run from cron, and to run twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=RETENTION_DAYS, help="how long a closed room is kept")
        parser.add_argument("--dry-run", action="store_true", help="only count the rooms that would be deleted")

    def handle(self, *args, days: int, dry_run: bool, **options) -> None:
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        cutoff = clock.now() - timedelta(days=days)
        count = services.rooms_purge(closed_before=cutoff, dry_run=dry_run)
        noun = "room" if count == 1 else "rooms"
        if dry_run:
            self.stdout.write(f"would delete {count} {noun} closed before {cutoff:%Y-%m-%d %H:%M} UTC")
        else:
            self.stdout.write(f"deleted {count} {noun} closed before {cutoff:%Y-%m-%d %H:%M} UTC")

"""`manage.py webhooks list|replay`: what providers sent us, and running one delivery again."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from webhooks.models import Delivery
from webhooks.selectors import delivery_list
from webhooks.services import delivery_replay

LIST_LIMIT_DEFAULT = 50
ERROR_COLUMN_WIDTH = 60


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def delivery_record(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "provider": delivery.provider,
        "key": delivery.key,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "received_at": _iso(delivery.received_at),
        "processed_at": _iso(delivery.processed_at),
        "error": delivery.error,
        "payload": delivery.payload,
    }


class Command(BaseCommand):
    help = "List recorded webhook deliveries, or run one again (handlers are idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="the latest deliveries, newest first")
        listing.add_argument("--provider", choices=Delivery.Provider.values)
        listing.add_argument("--status", choices=Delivery.Status.values)
        listing.add_argument("--limit", type=int, default=LIST_LIMIT_DEFAULT, help="at most this many (0: all)")
        listing.add_argument("--json", action="store_true", help="one JSON array, payloads included")
        replay = actions.add_parser("replay", help="run one delivery's handler again and print its new status")
        replay.add_argument("id", type=int)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            self._list(options["provider"], options["status"], options["limit"], options["json"])
        else:
            self._replay(options["id"])

    def _list(self, provider: str | None, status: str | None, limit: int, as_json: bool) -> None:
        if limit < 0:
            raise CommandError("--limit must be 0 or more.")
        deliveries = delivery_list(provider=provider, status=status)
        if limit:
            deliveries = deliveries[:limit]
        if as_json:
            self.stdout.write(json.dumps([delivery_record(delivery) for delivery in deliveries], indent=2))
            return
        for delivery in deliveries:
            received = delivery.received_at.strftime("%Y-%m-%d %H:%M:%S")
            problem = delivery.error.replace("\n", " ")[:ERROR_COLUMN_WIDTH]
            self.stdout.write(
                f"{delivery.pk:>6}  {received}  {delivery.provider:<9}  {delivery.status:<9}  "
                f"{delivery.event_type or '-':<34}  {delivery.key}  {problem}".rstrip()
            )

    def _replay(self, delivery_id: int) -> None:
        delivery = Delivery.objects.filter(pk=delivery_id).first()
        if delivery is None:
            raise CommandError(f"There is no webhook delivery {delivery_id}.")
        delivery = delivery_replay(delivery=delivery)
        line = f"{delivery.pk} {delivery.provider} {delivery.event_type}: {delivery.status}"
        if delivery.error:
            line += f" ({delivery.error})"
        self.stdout.write(line)
        if delivery.status == Delivery.Status.FAILED:
            raise CommandError("The handler failed again; see the log for the traceback.")

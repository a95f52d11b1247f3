"""Django's PostgreSQL backend, without the health check on a connection that was used a moment ago.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before the first query of
every request and of every `database_sync_to_async` call: one more round trip
on each post, on connections our database threads use many times a second
(todaysmeet/sync_threads.py). A connection that ran a query less than
RECENTLY_USED_SECONDS ago, and has met no error since, is taken as alive.
A connection that broke in that second fails its next query, as it would
have between the check and the query anyway; any error since the last query
makes Django check (or drop) the connection at the end of its request, so
only a connection that was fine a moment ago skips the check.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

RECENTLY_USED_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    # Django calls these two itself; if either is gone, this class is wrong for
    # the Django installed (pinned in requirements.txt), so refuse to start.
    for _hook in ("close_if_health_check_failed", "create_cursor"):
        if not hasattr(base.DatabaseWrapper, _hook):
            raise ImportError(f"django.db.backends.postgresql has no {_hook}: check todaysmeet/db/postgresql")
    del _hook

    used_at = float("-inf")

    def create_cursor(self, name=None):
        self.used_at = time.monotonic()
        return super().create_cursor(name)

    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and not self.health_check_done
            and not self.errors_occurred
            and time.monotonic() - self.used_at < RECENTLY_USED_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

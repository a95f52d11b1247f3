"""Every migration of ours must be safe to run under the release before it (deploy/README.md, "Migrations").

django-migration-linter reads the SQL each migration runs and flags what
locks a busy table or breaks the running code: a NOT NULL column without a
default, a dropped or renamed column, a non-concurrent index. Warnings count
as errors. New apps (billing, webhooks) are linted as soon as they exist.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django_migration_linter import MigrationLinter

REPO_ROOT = Path(__file__).resolve().parents[2]

# Written before the first production release, when every table was empty, so
# nothing could be locked or broken; listed here so nothing newer is excused.
BASELINE = {
    # CREATE INDEX on the then-new reports table.
    "0002_teacher_tools",
    # Room.closes_at NOT NULL, after 0002 filled it in for every room.
    "0003_room_closes_at_required",
}


@pytest.mark.django_db
def test_no_migration_locks_a_busy_table_or_breaks_the_release_before_it(capsys):
    if connection.vendor != "postgresql":
        # SQLite rebuilds a table for most ALTERs, so the linter flags every
        # change there; production runs PostgreSQL, and so does CI.
        pytest.skip("the migration linter reads PostgreSQL's SQL")
    project_apps = [config.label for config in apps.get_app_configs() if Path(config.path).is_relative_to(REPO_ROOT)]
    linter = MigrationLinter(
        include_apps=project_apps, ignore_name=BASELINE, no_cache=True, all_warnings_as_errors=True
    )

    linter.lint_all_migrations()

    assert not linter.has_errors, capsys.readouterr().out

"""Django's makemessages, never reading what isn't the product's own text.

Overridden here rather than given flags in the Makefile, so that every way of
running it (`make messages`, a translator's own `manage.py makemessages -l
xx`, the test that compares the catalogues with the code) reads the same files.
"""

from __future__ import annotations

from django.core.management.commands import makemessages

# Tests assert on strings without marking them; bench/ holds node_modules;
# deploy/ and docs/ are for operators, in English.
PROJECT_IGNORE_PATTERNS = ["tests", "bench", "deploy", "docs", "staticfiles", "node_modules", "test-artifacts", "run"]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options["ignore_patterns"], *PROJECT_IGNORE_PATTERNS]
        return super().handle(*args, **options)

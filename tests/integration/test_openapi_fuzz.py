"""Schemathesis against a live server: every operation, with and without a token, a bounded number of examples.

The checks: no 5xx, every answer matches the document, and every status is
one the document declares.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rooms import services
from tests.servers import DaphneProcess

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def server(daphne) -> DaphneProcess:
    return daphne


@pytest.mark.parametrize("credentials", ["teacher", "none"])
def test_schemathesis_finds_nothing_in_any_operation(server, owner, credentials, tmp_path):
    # A room to find, so that operations on one get past "no such room" sometimes.
    services.room_create(owner=owner.obj, name="fuzz", topic="Fuzzing")
    headers = ["--header", f"Authorization: Bearer {owner.token}"] if credentials == "teacher" else []

    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.http_url}/api/openapi.json",
            "--checks",
            CHECKS,
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "13",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--no-color",
            *headers,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )

    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]

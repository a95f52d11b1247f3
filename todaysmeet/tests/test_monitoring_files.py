"""deploy/'s dashboard and alert rules name only metrics the processes export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _exported_samples() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(f"{family.name}{suffix}" for suffix in ("_total", "_bucket", "_count", "_sum"))
    return names


@pytest.mark.parametrize("file", ["grafana-dashboard.json", "prometheus-alerts.yml"])
def test_every_metric_named_in_deploy_is_exported(file):
    text = (DEPLOY / file).read_text()
    json.loads(text) if file.endswith(".json") else yaml.safe_load(text)

    named = set(re.findall(r"\btodaysmeet_[a-z_]+", text))

    assert named
    assert named - _exported_samples() == set()

"""The one model set parses for every engine's profile, offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from clickstream.modeling import run_dbt
from tests.conftest import make_config

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("target", ["duckdb", "redshift", "athena"])
def test_the_project_parses_for_each_target(tmp_path: Path, target: str) -> None:
    config = make_config(tmp_path / "home", dbt={"target": target})
    result = run_dbt(config, ["parse"])
    assert result.command == "parse"
    assert (tmp_path / "home" / "dbt" / "target" / "manifest.json").exists()


def test_the_model_command_passes_its_arguments_to_dbt(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clickstream", "model", "ls", "--resource-type", "model", "--output", "name"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    listed = set(result.stdout.split())
    assert {"fct_events", "fct_sessions", "dim_users", "fct_event_items"} <= listed

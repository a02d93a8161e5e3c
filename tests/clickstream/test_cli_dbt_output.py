"""`clickstream model`: a summary instead of dbt's couple of hundred lines, failures in full, --verbose for dbt's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from clickstream.cli.pipeline import etl_step, load_step
from clickstream.config import load_config
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import write_raw
from clickstream.storage import Storage
from tests.support.cli import clickstream

pytestmark = pytest.mark.slow

STAGING = ["int_incremental_manifest", "stg_clickstream__events"]


@pytest.fixture(scope="module")
def loaded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a clickstream.yml whose warehouse holds a little loaded (not yet modelled) traffic."""
    folder = tmp_path_factory.mktemp("dbt-output")
    settings = {"home": str(folder / "home"), "apps": [{"id": "shop"}], "etl": {"freshness_hours": None}}
    (folder / "clickstream.yml").write_text(yaml.safe_dump(settings))
    config = load_config(folder / "clickstream.yml")
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_raw(iter_requests(SimulationSpec(users=3, days=1, seed=5, app_ids=("shop",), end=end)), Storage(config.home))
    etl_step(config)
    load_step(config)
    return folder


def test_a_model_run_prints_a_summary_instead_of_dbts_lines(loaded_home: Path) -> None:
    result = clickstream("model", "run", "--select", *STAGING, cwd=loaded_home)

    assert result.returncode == 0, result.stderr
    assert "START sql" not in result.stdout and "Running with dbt" not in result.stdout
    assert "model: success" in result.stdout


def test_verbose_shows_dbts_own_lines(loaded_home: Path) -> None:
    result = clickstream("model", "--verbose", "run", "--select", *STAGING, cwd=loaded_home)

    assert result.returncode == 0, result.stderr
    assert "START sql" in result.stdout and "model: success" in result.stdout


def test_a_failed_node_is_shown_in_full_with_its_compiled_sql_and_no_traceback(loaded_home: Path) -> None:
    # fct_events reads models that were never built in this warehouse: dbt fails that node
    result = clickstream("model", "run", "--select", "fct_events", cwd=loaded_home)

    assert result.returncode == 1
    error_output = " ".join(result.stderr.split())
    assert "ERROR fct_events" in error_output
    assert "does not exist" in error_output  # dbt's whole message, not a count
    assert "compiled SQL:" in error_output and "fct_events.sql" in error_output
    assert "failed: 1 node(s), shown above: fct_events" in error_output
    assert "Traceback" not in result.stderr

"""`clickstream run`: stages in order, one cycle at a time, failures kept and retried, history recorded."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from clickstream.config import Config
from clickstream.contract import input_id
from clickstream.errors import ClickstreamError, LockBusy
from clickstream.etl.runner import done_marker
from clickstream.locks import cycle_lock_path, exclusive_lock
from clickstream.pipeline.cycle import catalog_path, run_cycle, run_every
from clickstream.pipeline.intervals import parse_interval
from clickstream.serving import snapshot_path
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import write_raw
from clickstream.storage import Storage
from tests.support.config import make_config


def simulated_home(tmp_path: Path, users: int = 5) -> Config:
    config = make_config(tmp_path / "home", apps=[{"id": "shop"}], etl={"freshness_hours": None, "workers": 1})
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_raw(
        iter_requests(SimulationSpec(users=users, days=1, seed=3, app_ids=("shop",), end=end)), Storage(config.home)
    )
    return config


def history(config: Config) -> list[tuple[str, str, str, int, int]]:
    """Run-history rows in the order they were written."""
    with duckdb.connect(str(config.warehouse_path)) as connection:
        return [
            (run_id, stage, status, count_in, count_out)
            for run_id, stage, status, count_in, count_out in connection.execute(
                "select run_id, stage, status, count_in, count_out from ods._pipeline_runs order by rowid"
            ).fetchall()
        ]


def fct_events(config: Config) -> int:
    with duckdb.connect(str(config.warehouse_path)) as connection:
        row = connection.execute("select count(*) from analytics.fct_events").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.slow
def test_cycles_run_every_stage_and_record_each_in_the_run_history(tmp_path: Path) -> None:
    config = simulated_home(tmp_path)
    reports = run_every(config, interval_seconds=0, max_cycles=2)

    first, second = reports
    assert [stage.name for stage in first.stages] == ["etl", "load", "model", "metadata", "publish", "dashboards"]
    assert first.ok and second.ok
    assert first.etl.events > 0 and first.load.total_rows > 0
    assert second.load.total_files == 0  # nothing new arrived: nothing loaded twice
    assert catalog_path(config).exists()
    assert snapshot_path(config).exists()  # the Studio's read-only copy of the modeled events
    rows = history(config)
    assert [(stage, status) for _, stage, status, _, _ in rows] == [
        ("cycle", "running"),
        *((stage, "ok") for stage in ("etl", "load", "model", "metadata", "publish", "dashboards")),
        ("cycle", "ok"),
    ] * 2  # fmt: skip
    assert len({run_id for run_id, *_ in rows}) == 2
    assert rows[1][3:] == (first.etl.records, first.etl.events)
    assert rows[7][3:] == (6, 6)  # the cycle: stages run, stages ok
    assert (config.home / "dashboards" / "rendered.json").exists()
    assert fct_events(config) == first.etl.events
    other_process = [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"]
    opened = subprocess.run([*other_process, str(config.warehouse_path)], capture_output=True, text=True, check=False)
    assert opened.returncode == 0, f"the warehouse stays locked between cycles: {opened.stderr}"


@pytest.mark.slow
def test_a_failed_stage_skips_the_rest_keeps_the_last_good_state_and_is_retried(tmp_path: Path) -> None:
    config = simulated_home(tmp_path)
    broken = config.home / "processed" / "event_v2" / "partition_app=shop" / "broken.parquet"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not parquet")

    failed = run_cycle(config)
    assert [(stage.name, stage.status) for stage in failed.stages] == [
        ("etl", "ok"), ("load", "failed"), ("model", "skipped"), ("metadata", "skipped"),
        ("publish", "skipped"), ("dashboards", "skipped"),
    ]  # fmt: skip
    assert "broken.parquet" in failed.stage("load").detail
    with duckdb.connect(str(config.warehouse_path)) as connection:
        assert connection.execute("select count(*) from ods._loaded_files").fetchone() == (0,)

    broken.unlink()  # the operator moves the bad file aside; the next cycle picks up where it stopped
    retried = run_cycle(config)
    assert retried.ok
    assert fct_events(config) == failed.etl.events
    assert [status for _, _, status, _, _ in history(config)] == [
        "running", "ok", "failed", "skipped", "skipped", "skipped", "skipped", "failed",
        "running", "ok", "ok", "ok", "ok", "ok", "ok", "ok",
    ]  # fmt: skip


@pytest.mark.slow
def test_a_raw_file_that_fails_stays_pending_while_the_rest_is_loaded_and_modelled(tmp_path: Path) -> None:
    config = simulated_home(tmp_path)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_raw(iter_requests(SimulationSpec(users=3, days=1, seed=4, app_ids=("shop",), end=end)), Storage(config.home))
    _, second = (stored.path for stored in Storage(config.home).list_files("raw"))
    blocker = config.home / str(done_marker(input_id(second)))
    (blocker / "in-the-way").mkdir(parents=True)  # a folder where the done marker must go: the write fails

    partial = run_cycle(config)
    assert [(stage.name, stage.status) for stage in partial.stages] == [
        ("etl", "partial"), ("load", "ok"), ("model", "ok"), ("metadata", "ok"),
        ("publish", "ok"), ("dashboards", "ok"),
    ]  # fmt: skip
    assert second in partial.stage("etl").detail and not partial.ok
    assert fct_events(config) >= partial.etl.events > 0  # (the failed file's outputs may already be written)

    shutil.rmtree(blocker)
    retried = run_cycle(config)
    assert retried.ok and retried.etl.files_processed == 1
    assert fct_events(config) == partial.etl.events + retried.etl.events  # re-written outputs replaced, not doubled


def test_a_bounded_schedule_ends_even_while_another_cycle_holds_the_lock(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home")
    with exclusive_lock(cycle_lock_path(config), 0, "a pipeline cycle"):
        assert run_every(config, interval_seconds=0, max_cycles=2) == []  # two ticks, both skipped


def test_a_second_cycle_does_not_start_while_one_runs(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home")
    with exclusive_lock(cycle_lock_path(config), 0, "a pipeline cycle"), pytest.raises(LockBusy, match="pipeline"):
        run_cycle(config)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("90", 90), ("0.5m", 30)])
def test_intervals_are_read_in_seconds_minutes_or_hours(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "5x", "-1m", "0s"])
def test_an_unreadable_interval_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ClickstreamError, match="30s, 5m or 1h"):
        parse_interval(text)

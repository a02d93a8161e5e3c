"""The Spark runner (local mode) writes exactly what the local runner writes, file for file, byte for byte.

One Spark session serves the whole module (starting one takes seconds). The inputs are the original
system's seed records (good, compressed, corrupt, unknown app) and a few hundred simulated events from
three platforms, with the example plugin rejecting the seed's network, so events, items, users and
several reject reasons all appear.
"""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from clickstream.etl.process import EtlJob
from clickstream.etl.runner import EtlResult, done_marker, run_etl
from clickstream.etl.spark_runner import main, run_spark_etl, spark_session
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import write_raw
from clickstream.storage import Storage
from tests.support.cli import clickstream
from tests.support.config import make_config
from tests.support.paths import SEED

pytestmark = pytest.mark.slow

OUTPUT_DIRS = ("processed", "rejected", "etl-state")
SEED_HOUR = "raw/year=2023/month=04/day=24/hour=06"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    with spark_session("local[2]") as session:
        yield session


@pytest.fixture(scope="module")
def raw_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding only raw files: each seed fixture as its own file, and simulated traffic in several."""
    home = tmp_path_factory.mktemp("raw-home")
    storage = Storage(home)
    for fixture in sorted(SEED.glob("original_data*.json")):
        lines = fixture.read_bytes().rstrip(b"\n") + b"\n"
        storage.write_bytes(f"{SEED_HOUR}/seed-{fixture.stem.replace('_', '-')}.jsonl.gz", gzip.compress(lines))
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    spec = SimulationSpec(users=30, days=1, end=end, app_ids=("shop", "uba-app"), seed=7, duplicate_rate=0.05)
    write_raw(iter_requests(spec), storage, records_per_file=15)
    return home


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> EtlJob:
    """Every built-in enricher on (user agent with bot rejects, geo IP, traffic source, hashed IPs) plus the
    example plugin; one fixed process time for both runners, after every simulated event."""
    config = make_config(
        tmp_path_factory.mktemp("config"),
        project_id="spark_parity",
        etl={
            "job_id": "spark-parity",
            "time_shift": True,
            "freshness_hours": None,
            "enrichment": {"ip_privacy": "hash", "ip_hash_salt": "parity"},
            "plugins": [{"name": "internal_traffic", "options": {"networks": ["13.212.0.0/16"]}}],
        },
    )
    return EtlJob.from_config(config, datetime.now(UTC) + timedelta(minutes=5))


def copy_raw(raw_home: Path, target: Path) -> Path:
    shutil.copytree(raw_home / "raw", target / "raw")
    return target


def output_files(home: Path) -> dict[str, bytes]:
    storage = Storage(home)
    return {
        stored.path: (home / stored.path).read_bytes()
        for folder in OUTPUT_DIRS
        for stored in storage.list_files(folder)
    }


def counts(result: EtlResult) -> dict[str, Any]:
    return {key: value for key, value in asdict(result).items() if key != "seconds"}


@pytest.fixture(scope="module")
def both(spark: Any, raw_home: Path, job: EtlJob, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The local runner and the Spark runner on copies of the same raw files."""
    local_home = copy_raw(raw_home, tmp_path_factory.mktemp("local"))
    spark_home = copy_raw(raw_home, tmp_path_factory.mktemp("spark"))
    local = run_etl(local_home, job, workers=2)
    on_spark = run_spark_etl(spark, spark_home, job, tasks=3)
    return {"local": local, "spark": on_spark, "local_home": local_home, "spark_home": spark_home}


def test_the_inputs_exercise_events_items_users_and_several_reject_reasons(both: dict[str, Any]) -> None:
    result: EtlResult = both["local"]
    assert result.files_processed >= 10 and not result.failed_files
    assert result.events >= 300 and result.items > 0 and result.users > 0
    assert {"decode_error", "corrupt_json", "unknown_app", "internal_traffic"} <= set(result.rejected_by_reason)


def test_the_spark_workers_ran_every_enricher(both: dict[str, Any]) -> None:
    home = both["spark_home"]
    rows = [
        row for f in Storage(home).list_files("processed/event_v2") for row in pq.read_table(home / f.path).to_pylist()
    ]
    assert any(row["device_ua_browser"] for row in rows)
    assert any(row["geo_country"] for row in rows)
    assert any(row["traffic_source_channel_group"] for row in rows)


def test_spark_reports_the_same_counts_as_the_local_runner(both: dict[str, Any]) -> None:
    assert counts(both["spark"]) == counts(both["local"])


def test_spark_writes_the_same_files_with_the_same_bytes(both: dict[str, Any]) -> None:
    local, on_spark = output_files(both["local_home"]), output_files(both["spark_home"])
    assert sorted(on_spark) == sorted(local)
    differing = sorted(path for path in local if local[path] != on_spark[path])
    for path in differing:  # say which rows differ before failing on the bytes
        if path.endswith(".parquet"):
            assert pq.read_table(both["spark_home"] / path).equals(pq.read_table(both["local_home"] / path)), path
    assert differing == []


def test_a_second_spark_run_finds_nothing_pending(spark: Any, both: dict[str, Any], job: EtlJob) -> None:
    again = run_spark_etl(spark, both["spark_home"], job)
    assert (again.files_seen, again.files_processed, again.events) == (0, 0, 0)


def test_reprocessing_on_spark_replaces_outputs_with_the_same_bytes(
    spark: Any, raw_home: Path, job: EtlJob, tmp_path: Path
) -> None:
    home = copy_raw(raw_home, tmp_path)
    first = run_spark_etl(spark, home, job)
    before = output_files(home)
    second = run_spark_etl(spark, home, job, reprocess=True)
    assert counts(second) == counts(first)
    assert output_files(home) == before


def test_a_file_that_fails_is_reported_and_stays_pending_while_the_others_are_processed(
    spark: Any, raw_home: Path, job: EtlJob, tmp_path: Path
) -> None:
    home = copy_raw(raw_home, tmp_path)
    broken = f"{SEED_HOUR}/seed-original-data-with-items.jsonl.gz"
    blocker = home / str(done_marker("20230424T06-seed-original-data-with-items"))
    (blocker / "in-the-way").mkdir(parents=True)  # a folder where the done marker must go: the write fails
    result = run_spark_etl(spark, home, job)
    assert list(result.failed_files) == [broken]
    assert result.files_processed == result.files_seen - 1
    shutil.rmtree(blocker)
    retry = run_spark_etl(spark, home, job)
    assert (retry.files_seen, retry.files_processed, retry.failed_files) == (1, 1, {})


def test_the_entry_point_takes_root_and_apps_as_arguments_and_prints_a_json_summary(
    spark: Any, raw_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = copy_raw(raw_home, tmp_path)
    process_time = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    argv = [
        "--root",
        str(home),
        "--app-ids",
        "shop,uba-app",
        "--project-id",
        "entry_point",
        "--process-time",
        process_time,
    ]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["root"] == str(home)
    assert summary["files_processed"] == summary["files_seen"] > 0 and summary["events"] > 0
    [event_file, *_] = Storage(home).list_files("processed/event_v2")
    assert set(pq.read_table(home / event_file.path).column("project_id").to_pylist()) == {"entry_point"}


def test_clickstream_etl_runs_on_spark_with_the_runner_option(tmp_path: Path) -> None:
    simulate = clickstream("simulate", "--users", "3", "--days", "1", "--to-raw", cwd=tmp_path)
    assert simulate.returncode == 0, simulate.stderr
    etl = clickstream("etl", "--runner", "spark", "--spark-master", "local[1]", cwd=tmp_path)
    assert etl.returncode == 0, etl.stderr
    assert "starting Spark (local[1])" in etl.stdout and "1 of 1 new raw files processed" in etl.stdout
    assert Storage(tmp_path / ".clickstream").list_files("processed/event_v2")

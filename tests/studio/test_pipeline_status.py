"""``GET /api/pipeline/<project>``: the last cycles with each stage, the lag, the rejects and the collector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from clickstream.config import Config
from tests.support.collector import LiveCollector, exchange, live_collector
from tests.support.pipeline import CLOSED_PORT_METRICS, home_with_two_cycles, pipeline_config
from tests.support.studio import signed_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_cycles(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return home_with_two_cycles(tmp_path_factory.mktemp("pipeline"))


def status(config: Config) -> dict[str, Any]:
    with signed_in(config) as studio:
        response = studio.get(f"/api/pipeline/{config.project_id}")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_the_newest_cycle_is_first_with_its_failed_stage_and_the_skipped_ones(two_cycles: Config) -> None:
    failed, good = status(two_cycles)["cycles"]
    assert (failed["status"], good["status"]) == ("failed", "ok")
    assert [(stage["stage"], stage["status"]) for stage in failed["stages"]] == [
        ("etl", "ok"), ("load", "failed"), ("model", "skipped"), ("metadata", "skipped"), ("publish", "skipped"),
        ("dashboards", "skipped"),
    ]  # fmt: skip
    assert "broken.parquet" in failed["stages"][1]["detail"]
    assert "failed" in status(two_cycles)["alerts"]


def test_a_stage_reports_its_rows_in_and_out_as_the_run_history_has_them(two_cycles: Config) -> None:
    good = status(two_cycles)["cycles"][1]
    with duckdb.connect(str(two_cycles.warehouse_path), read_only=True) as warehouse:
        expected = warehouse.execute(
            "select count_in, count_out from ods._pipeline_runs where stage = 'etl' and status = 'ok' order by rowid"
        ).fetchone()
    etl = next(stage for stage in good["stages"] if stage["stage"] == "etl")
    assert (etl["rowsIn"], etl["rowsOut"]) == expected


def test_the_lag_is_now_minus_the_newest_event_in_fct_events(two_cycles: Config) -> None:
    with duckdb.connect(str(two_cycles.warehouse_path), read_only=True) as warehouse:
        row = warehouse.execute("select max(event_timestamp) from analytics.fct_events").fetchone()
    assert row is not None
    newest = row[0] if row[0].tzinfo else row[0].replace(tzinfo=UTC)
    before = (datetime.now(UTC) - newest).total_seconds()
    fresh = status(two_cycles)["freshness"]
    after = (datetime.now(UTC) - newest).total_seconds()
    assert datetime.fromisoformat(fresh["newestEventTime"]) == newest
    assert before <= fresh["lagSeconds"] <= after


def test_the_rejects_of_the_last_day_are_counted_per_reason_with_samples(two_cycles: Config) -> None:
    rejected = status(two_cycles)["rejected"]
    with duckdb.connect() as connection:
        expected = connection.execute(
            "select reason, count(*) from read_parquet(?) group by reason order by 2 desc, 1",
            [str(two_cycles.home / "rejected" / "*" / "*.parquet")],
        ).fetchall()
    assert [(entry["reason"], entry["count"]) for entry in rejected["byReason"]] == expected
    assert rejected["total"] == sum(count for _, count in expected) >= 2
    sample = rejected["byReason"][0]["samples"][0]
    assert sample["sourceFile"].endswith("bad-1.jsonl.gz") and sample["payload"]


def test_the_reject_rate_is_rejects_over_rejects_and_events_transformed(two_cycles: Config) -> None:
    with duckdb.connect(str(two_cycles.warehouse_path), read_only=True) as warehouse:
        row = warehouse.execute("select sum(count_out) from ods._pipeline_runs where stage = 'etl' "
                                "and status <> 'running'").fetchone()  # fmt: skip
    assert row is not None
    rejected = status(two_cycles)["rejected"]
    assert rejected["rate"] == round(rejected["total"] / (rejected["total"] + row[0]), 6)


def test_the_lag_and_the_reject_rate_are_flagged_over_their_thresholds(two_cycles: Config) -> None:
    strict = two_cycles.model_copy(update={"studio": pipeline_config(two_cycles.home.parent, max_lag_seconds=1,
                                                               max_reject_rate=0.0).studio})  # fmt: skip
    assert set(status(strict)["alerts"]) == {"failed", "lag", "rejects"}
    lenient = two_cycles.model_copy(update={"studio": pipeline_config(two_cycles.home.parent, max_lag_seconds=10**9,
                                                                max_reject_rate=1.0).studio})  # fmt: skip
    assert status(lenient)["alerts"] == ["failed"]


def test_an_unreachable_collector_is_said_and_the_rest_still_answers(two_cycles: Config) -> None:
    document = status(two_cycles)
    assert document["collector"]["reachable"] is False and document["collector"]["url"] == CLOSED_PORT_METRICS
    assert document["cycles"]


@pytest.fixture
def collector_home(tmp_path: Path) -> Iterator[tuple[Config, LiveCollector]]:
    config = pipeline_config(tmp_path)
    with live_collector(config) as live:
        yield config, live


def test_the_collectors_requests_and_refusals_come_from_its_metrics(
    collector_home: tuple[Config, LiveCollector],
) -> None:
    config, live = collector_home
    assert exchange(live, "POST", "/collect?appId=shop", b"[]").status == 200
    assert exchange(live, "POST", "/collect?appId=nope", b"[]").status == 403
    metrics_url = f"{live.base_url}/metrics"
    pointed = config.model_copy(
        update={"studio": pipeline_config(config.home.parent, collector_metrics_url=metrics_url).studio}
    )
    collector = status(pointed)["collector"]
    assert collector["reachable"] is True
    assert collector["requests"]["200"] >= 1 and collector["requests"]["403"] >= 1
    assert collector["refusals"]["unknown appId"] >= 1

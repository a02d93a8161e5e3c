"""From HTTP requests to dbt-built tables: what was sent is what the marts hold."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from clickstream.config import Config
from clickstream.etl.process import EtlJob
from clickstream.etl.runner import run_etl
from clickstream.loader.runner import run_load
from clickstream.modeling import run_dbt
from clickstream.pipeline.steps import mart_counts
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import send_http
from tests.support.cli import clickstream
from tests.support.collector import live_collector
from tests.support.config import make_config

pytestmark = pytest.mark.slow


def cycle(config: Config) -> None:
    run_etl(config.home, EtlJob.from_config(config), workers=2)
    run_load(config)
    run_dbt(config, ["build"])


def test_distinct_events_sessions_and_users_sent_equal_the_mart_rows(tmp_path: Path) -> None:
    config = make_config(
        tmp_path / "home",
        apps=[{"id": "shop", "timezone": "Asia/Tokyo"}, {"id": "shop_eu", "timezone": "Europe/Berlin"}],
        ingestion={"trusted_proxies": ["127.0.0.1/32"]},
        etl={"freshness_hours": None},  # days of simulated history arrive at once
    )
    spec = SimulationSpec(users=40, days=3, seed=5, app_ids=("shop", "shop_eu"), duplicate_rate=0.1,
                          end=datetime.now(UTC).replace(minute=0, second=0, microsecond=0))  # fmt: skip
    with live_collector(config) as live:
        sent = send_http(iter_requests(spec), f"{live.base_url}/collect")
    assert sent.failed_requests == 0
    assert sent.duplicate_requests > 0, "the run should include SDK retries to prove deduplication"

    cycle(config)

    counts = mart_counts(config.warehouse_path)
    assert counts["fct_events"] == sent.events
    assert counts["fct_sessions"] == len(sent.sessions)
    assert counts["dim_users"] == len(sent.users)
    with duckdb.connect(str(config.warehouse_path)) as connection:
        loaded = connection.execute("select count(*) from ods.event_v2").fetchone()
        users = set(connection.execute("select app_id, user_pseudo_id from analytics.dim_users").fetchall())
    assert loaded is not None and loaded[0] > sent.events  # the retried copies reached the warehouse...
    assert users == sent.users  # ...and the marts hold each user once


def test_event_dates_use_each_apps_reporting_timezone(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", apps=[{"id": "shop", "timezone": "Asia/Tokyo"}])
    with live_collector(config) as live:
        send_http(iter_requests(SimulationSpec(users=15, days=2, seed=2)), f"{live.base_url}/collect")
    cycle(config)
    with duckdb.connect(str(config.warehouse_path)) as connection:
        counts = connection.execute(
            """select
                   count(*) filter (where event_date <> cast(timezone('Asia/Tokyo', event_timestamp) as date)),
                   count(*) filter (where event_date <> cast(timezone('UTC', event_timestamp) as date))
               from analytics.fct_events"""
        ).fetchone()
    assert counts is not None
    mismatched, differs_from_utc = counts
    assert mismatched == 0
    assert differs_from_utc > 0


def test_a_second_cycle_with_nothing_new_changes_nothing(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home")
    with live_collector(config) as live:
        send_http(iter_requests(SimulationSpec(users=10, days=2, seed=9)), f"{live.base_url}/collect")
    cycle(config)
    before = mart_counts(config.warehouse_path)
    etl = run_etl(config.home, EtlJob.from_config(config))
    load = run_load(config)
    run_dbt(config, ["build"])
    assert (etl.files_processed, load.total_files) == (0, 0)
    assert mart_counts(config.warehouse_path) == before


def test_make_demo_command_reports_matching_counts(tmp_path: Path) -> None:
    result = clickstream("demo", "--dir", str(tmp_path / "demo"), "--users", "25", "--days", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "counts match" in result.stdout
    assert (tmp_path / "demo" / "warehouse.duckdb").exists()
    page = tmp_path / "demo" / "dashboards" / "clickstream-shop.html"
    assert f"dashboard: {page}" in result.stdout.replace("\n", "") and page.exists()

"""`clickstream dashboards render`: self-contained HTML per dashboard and app, from the DuckDB warehouse."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from clickstream.config import Config
from clickstream.errors import ClickstreamError
from clickstream.quicksight.offline.render import MANIFEST, render_dashboards
from clickstream.quicksight.spec.load import bundled_dashboards
from tests.support.cli import clickstream
from tests.support.config import make_config

pytestmark = pytest.mark.slow

DUCKDB_TYPES = {
    "STRING": {"VARCHAR"},
    "INTEGER": {"BIGINT", "INTEGER", "HUGEINT"},
    "DECIMAL": {"DOUBLE", "FLOAT"},
    "DATETIME": {"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"},
}


def payload(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_every_dataset_column_exists_in_the_built_models_with_a_matching_type(warehouse: Config) -> None:
    [dashboard] = bundled_dashboards()
    with duckdb.connect(str(warehouse.warehouse_path), read_only=True) as connection:
        for name, dataset in dashboard.used_datasets.items():
            actual = dict(
                connection.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'analytics' and table_name = ?",
                    [dataset.model],
                ).fetchall()
            )
            for column, kind in dataset.columns.items():
                assert column in actual, f"{name}: {dataset.model} has no column {column}"
                assert actual[column] in DUCKDB_TYPES[kind], f"{name}.{column}: {actual[column]} is not {kind}"


def test_one_self_contained_file_per_app_and_a_manifest(warehouse: Config) -> None:
    rendered = render_dashboards(warehouse)

    folder = warehouse.home / "dashboards"
    manifest = json.loads((folder / MANIFEST).read_text())
    assert [(d["id"], d["app_id"], d["file"]) for d in manifest["dashboards"]] == [
        ("clickstream-shop", "shop", "clickstream-shop.html"),
        ("clickstream-notes", "notes", "clickstream-notes.html"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["rendered_at"]) for d in manifest["dashboards"])
    assert sorted(p.name for p in folder.iterdir()) == ["clickstream-notes.html", "clickstream-shop.html", MANIFEST]
    for dashboard in rendered:
        html = dashboard.path.read_text(encoding="utf-8")
        assert "echarts" in html and "<script src" not in html and "<link" not in html
        assert not re.search(r"https?://(?!www\.w3\.org)[^\"'\s]*\.(js|css)\b", html), "nothing is fetched"


def test_each_file_holds_only_its_apps_rows_and_no_user_id_in_chart_data(warehouse: Config) -> None:
    render_dashboards(warehouse)
    shop = payload((warehouse.home / "dashboards" / "clickstream-shop.html").read_text(encoding="utf-8"))
    with duckdb.connect(str(warehouse.warehouse_path), read_only=True) as connection:
        users = {
            r[0] for r in connection.execute("select merged_user_id from analytics.rpt_retention__dau_wau").fetchall()
        }
        [(shop_users,)] = connection.execute(
            "select count(distinct merged_user_id) from analytics.rpt_retention__dau_wau where app_id = 'shop'"
        ).fetchall()
    active = shop["data"]["acquisition_active_users"]
    column = active["columns"].index("merged_user_id")
    numbers = {row[column] for row in active["rows"]}
    assert numbers == set(range(shop_users)), "users are numbered 0..n-1, one number per user of this app"
    text = json.dumps(active)
    assert not [user for user in users if f'"{user}"' in text]


def test_rendering_refuses_a_warehouse_that_is_not_duckdb(tmp_path: Path) -> None:
    config = make_config(tmp_path, data_root="s3://bucket/data", warehouse={"type": "athena", "athena": {}})
    with pytest.raises(ClickstreamError, match="offline dashboards read the DuckDB warehouse"):
        render_dashboards(config)


def test_rendering_before_any_pipeline_run_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(ClickstreamError, match="no warehouse") as error:
        render_dashboards(make_config(tmp_path))
    assert error.value.hint is not None and "clickstream run" in error.value.hint


def test_a_warehouse_without_the_report_models_is_reported_and_old_files_are_kept(
    warehouse: Config, tmp_path: Path
) -> None:
    config = make_config(tmp_path / "home")
    config.home.mkdir(parents=True)
    duckdb.connect(str(config.warehouse_path)).close()
    old = config.home / "dashboards" / "clickstream-shop.html"
    old.parent.mkdir()
    old.write_text("previous render")
    with pytest.raises(ClickstreamError, match="a report table is missing"):
        render_dashboards(config)
    assert old.read_text() == "previous render"


def test_the_render_command_prints_each_file(warehouse: Config, tmp_path: Path) -> None:
    import shutil

    import yaml

    home = tmp_path / "home"  # a copy: dbt-duckdb in this test process may keep the warehouse locked
    shutil.copytree(warehouse.home, home, ignore=shutil.ignore_patterns("dashboards"))
    config_file = tmp_path / "clickstream.yml"
    config_file.write_text(yaml.safe_dump({"home": str(home), "apps": [{"id": app} for app in warehouse.app_ids]}))
    result = clickstream("--config", str(config_file), "dashboards", "render", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for app_id in warehouse.app_ids:
        page = home / "dashboards" / f"clickstream-{app_id}.html"
        assert page.exists() and str(page) in result.stdout.replace("\n", "")


PAYLOAD_SCRIPT = """
import json, sys
import duckdb
from clickstream.quicksight.offline.render import dashboard_payload
from clickstream.quicksight.spec.load import bundled_dashboards
[dashboard] = bundled_dashboards()
with duckdb.connect(sys.argv[1], read_only=True) as connection:
    data = dashboard_payload(connection, dashboard, "shop", 30, "2026-01-01T00:00:00Z")
print(json.dumps({k: data["data"][k]["rows"] for k in ("details_events", "acquisition_intraday_active")}))
"""


def test_times_on_the_page_are_utc_whatever_the_machines_time_zone(warehouse: Config, tmp_path: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "warehouse.duckdb"  # a copy: dbt-duckdb in this test process may keep the warehouse locked
    shutil.copyfile(warehouse.warehouse_path, copy)

    def rows_in(zone: str) -> dict[str, Any]:
        result = subprocess.run(
            [sys.executable, "-c", PAYLOAD_SCRIPT, str(copy)],
            capture_output=True, text=True, timeout=300, check=True, env={**os.environ, "TZ": zone},
        )  # fmt: skip
        rows: dict[str, Any] = json.loads(result.stdout)
        return rows

    utc, new_york = rows_in("UTC"), rows_in("America/New_York")

    assert utc["details_events"] and utc == new_york
    with duckdb.connect(str(copy), read_only=True) as connection:
        [(newest,)] = connection.execute(
            "select strftime(max(event_timestamp) at time zone 'UTC', '%Y-%m-%d %H:%M:%S') "
            "from analytics.rpt_event_view where app_id = 'shop'"
        ).fetchall()
    assert newest in {value for row in utc["details_events"] for value in row}

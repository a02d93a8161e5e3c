"""The metadata scan, `clickstream metadata export` and the dbt docs site, on the incremental scenario's data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clickstream.config import Config
from clickstream.errors import ModelError
from clickstream.metadata import export_metadata
from clickstream.modeling import run_dbt
from clickstream.modeling.docs_site import generate_docs
from tests.dbt_project.test_incremental import STEP_1, STEP_2, STEP_3
from tests.dbt_project.warehouse import load_tables, query
from tests.support.cli import clickstream
from tests.support.config import make_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Config]:
    home = tmp_path_factory.mktemp("metadata") / "home"
    config = make_config(home, apps=[{"id": "shop"}, {"id": "shop_eu", "timezone": "Europe/Berlin"}])
    for step in (STEP_1, STEP_2, STEP_3):
        load_tables(config, step)
    run_dbt(config, ["build"])
    yield config


def find(entries: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    [entry] = [e for e in entries if all(e[key] == value for key, value in where.items())]
    return entry


def test_the_export_counts_each_event_per_day_with_platforms_and_sdks(warehouse: Config, tmp_path: Path) -> None:
    catalog = export_metadata(warehouse, tmp_path / "catalog.json")
    assert json.loads((tmp_path / "catalog.json").read_text()) == json.loads(json.dumps(catalog, default=str))
    page_views = find(catalog["events"], appId="shop", name="_page_view")
    per_day = query(
        warehouse,
        "select cast(event_date as varchar), count(*) from analytics.fct_events"
        " where app_id = 'shop' and event_name = '_page_view' group by 1",
    )
    assert page_views["days"] == dict(per_day)
    assert page_views["summary"]["platform"] == ["Web"]
    assert page_views["id"] == "test#shop#_page_view"  # project_id of the rows


def test_custom_parameters_and_scanned_columns_come_with_their_top_values(warehouse: Config, tmp_path: Path) -> None:
    catalog = export_metadata(warehouse, tmp_path / "catalog.json")
    coupon = find(catalog["eventParameters"], appId="shop", name="coupon")
    assert (coupon["metadataSource"], coupon["valueType"], coupon["category"]) == ("Custom", "string", "event")
    assert coupon["summary"]["valueEnum"] == [{"value": "SPRING", "count": 1}]
    assert coupon["summary"]["associatedEvents"] == ["_add_to_cart"]
    path = find(catalog["eventParameters"], appId="shop", name="page_view_page_url_path")
    assert path["metadataSource"] == "Preset" and path["category"] == "page_view"
    assert path["description"], "static descriptions come from the contract through the dbt manifest"
    assert {"value": "/", "count": 4} in path["summary"]["valueEnum"]
    plan = find(catalog["userAttributes"], appId="shop", name="plan")
    assert plan["summary"]["valueEnum"] == [{"value": "pro", "count": 1}]


def test_columns_not_marked_for_scanning_are_not_scanned(warehouse: Config) -> None:
    scanned = {row[0] for row in query(warehouse, "select distinct property_name from analytics.meta_event_parameter")}
    assert "event_id" not in scanned and "device_vendor_id" not in scanned
    assert "traffic_source_source" in scanned


def test_the_export_asks_for_a_model_run_first(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="clickstream model"):
        export_metadata(make_config(tmp_path / "empty"), None)


def test_the_docs_site_documents_every_model_and_the_dashboard_exposure(warehouse: Config) -> None:
    site = generate_docs(warehouse)
    assert (site / "index.html").is_file()
    manifest = json.loads((site / "manifest.json").read_text())
    catalog = json.loads((site / "catalog.json").read_text())
    models = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    undocumented = sorted(name for name, node in models.items() if not node["description"].strip())
    assert undocumented == []
    assert {"exposure.clickstream.clickstream_dashboard", "exposure.clickstream.console_metadata"} <= set(
        manifest["exposures"]
    )
    assert "model.clickstream.fct_sessions" in catalog["nodes"]


def test_the_metadata_export_command_writes_the_catalog(warehouse: Config, tmp_path: Path) -> None:
    import shutil

    import yaml

    # a copy of the home: dbt-duckdb keeps the warehouse open (and locked) in this test process
    home = tmp_path / "home"
    shutil.copytree(warehouse.home, home)
    config_file = tmp_path / "clickstream.yml"
    apps = [{"id": "shop"}, {"id": "shop_eu", "timezone": "Europe/Berlin"}]
    config_file.write_text(yaml.safe_dump({"home": str(home), "apps": apps}))
    output = tmp_path / "out" / "catalog.json"
    result = clickstream("--config", str(config_file), "metadata", "export", "-o", str(output), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    catalog = json.loads(output.read_text())
    assert {event["name"] for event in catalog["events"]} >= {"_page_view", "_session_start", "_add_to_cart"}
    assert "event parameters" in result.stdout

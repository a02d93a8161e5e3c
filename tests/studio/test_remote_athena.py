"""The Studio on an Athena warehouse: analyses run as Athena queries in the configured work group (Stubber).

Each scripted answer holds the rows DuckDB gives for the same analysis on tests/studio/dataset.py, sent
as Athena sends them (text, typed by the result's column metadata, names repeated in the first row).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config
from clickstream.studio.app import create_app
from clickstream.studio.athena_reader import typed_value
from clickstream.studio.reader import WarehouseClients
from tests.studio.remote_stubs import AthenaScript, FakeTime, meta_tables
from tests.studio.test_remote_redshift import snapshot_rows
from tests.support.config import make_config
from tests.support.studio import FIXED_JANUARY, LOCAL_URL, PASSWORD, REQUEST_ID, assert_engine_error, explore

RETENTION_BODY = {"groupColumn": "WEEK", "pairEventAndConditions": [
    {"startEvent": {"eventName": "_page_view"}, "backEvent": {"eventName": "purchase"}}]}  # fmt: skip
WORKGROUP, RESULTS = "clickstream", "s3://example-pipeline/temp/athena/studio/"


def athena_config(home: Path, **studio: Any) -> Config:
    remote = {"athena_workgroup": WORKGROUP, "athena_output_location": RESULTS, "poll_interval_seconds": 0.25,
              "poll_max_interval_seconds": 1, **studio.pop("warehouse", {})}  # fmt: skip
    return make_config(
        home,
        apps=[{"id": "shop"}, {"id": "other"}],
        data_root="s3://example-data/clickstream/",
        warehouse={"type": "athena", "athena": {"database": "clickstream", "region": "eu-west-1"}},
        studio={"local_password": PASSWORD, "query_timeout_seconds": 5, "warehouse": remote, **studio},
    )


@pytest.fixture
def script() -> Iterator[AthenaScript]:
    script = AthenaScript(WORKGROUP, RESULTS)
    with script.stubber:
        yield script


def remote_client(config: Config, script: AthenaScript, time: FakeTime) -> TestClient:
    clients = WarehouseClients(athena=script.client, sleep=time.sleep, clock=time.clock)
    client = TestClient(create_app(config, password=PASSWORD, warehouse_clients=clients), base_url=LOCAL_URL)
    assert client.post("/auth/login", json={"password": PASSWORD}).status_code == 200
    return client


def test_a_retention_analysis_runs_in_athena_and_answers_as_the_snapshot_does(
    client: TestClient, studio_config: Config, script: AthenaScript, tmp_path: Path
) -> None:
    expected = explore(client, "retention", RETENTION_BODY)
    config, time = athena_config(tmp_path / "home"), FakeTime()
    script.catalog(config.project_id)
    script.query(snapshot_rows(studio_config, expected["sql"]), page_rows=2, states=("QUEUED", "RUNNING", "SUCCEEDED"))
    script.query((["newest"], [(datetime(2024, 1, 9, 12, 1),)]))
    answer = remote_client(config, script, time).post(
        "/api/reporting/retention", json={**FIXED_JANUARY, **RETENTION_BODY}, headers=REQUEST_ID
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == expected["rows"] and len(expected["rows"]) > 2
    started = script.recorder.sql("StartQueryExecution", "QueryString")
    assert started[3] == answer.json()["sql"] and "from analytics.fct_events" in started[3].lower()
    assert answer.json()["dataAsOf"] == "2024-01-09 12:01:00"
    assert time.sleeps == [0.25, 0.5]
    script.stubber.assert_no_pending_responses()


def test_the_catalog_comes_from_the_glue_databases_meta_tables(script: AthenaScript, tmp_path: Path) -> None:
    config = athena_config(tmp_path / "home", warehouse={"schema": "clickstream_models"})
    script.catalog(config.project_id)
    api = remote_client(config, script, FakeTime())
    events = api.get("/api/metadata/events", params={"appId": "shop"}).json()
    assert sorted(event["name"] for event in events) == ["_page_view", "add_to_cart", "purchase", "view_item"]
    parameters = api.get("/api/metadata/event_parameters", params={"appId": "shop"}).json()
    product = next(parameter for parameter in parameters if parameter["name"] == "product")
    assert product["summary"]["associatedEvents"] == ["add_to_cart", "view_item"]
    assert [value["value"] for value in product["summary"]["valueEnum"]] == ["p1", "p2", "p3", "p9"]
    assert script.recorder.sql("StartQueryExecution", "QueryString") == [
        f"select * from clickstream_models.{table}" for table in meta_tables(config.project_id)
    ]


def test_a_failed_query_is_a_500_with_the_request_id_and_athenas_reason_in_the_log(
    script: AthenaScript, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = athena_config(tmp_path / "home")
    script.catalog(config.project_id)
    reason = "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.analytics.fct_events' does not exist"
    script.query(states=("RUNNING", "FAILED"), reason=reason)
    answer = remote_client(config, script, FakeTime()).post(
        "/api/reporting/retention", json={**FIXED_JANUARY, **RETENTION_BODY}, headers=REQUEST_ID
    )
    assert_engine_error(answer, caplog, reason)
    script.stubber.assert_no_pending_responses()


def test_a_query_past_the_timeout_is_stopped_and_answered_504(script: AthenaScript, tmp_path: Path) -> None:
    config, time = athena_config(tmp_path / "home", query_timeout_seconds=0.5), FakeTime()
    script.catalog(config.project_id)
    # checked at 0, 0.25 and 0.75 s: still running past 0.5 s, so stopped
    script.query(states=("QUEUED", "RUNNING", "RUNNING"), stop=True)
    answer = remote_client(config, script, time).post(
        "/api/reporting/retention", json={**FIXED_JANUARY, **RETENTION_BODY}, headers=REQUEST_ID
    )
    assert answer.status_code == 504
    assert "ran longer than 0.5 s and was cancelled" in answer.json()["error"]
    assert [name for name, _ in script.recorder.calls][-2:] == ["GetQueryExecution", "StopQueryExecution"]
    script.stubber.assert_no_pending_responses()


def test_without_an_output_location_the_work_groups_own_is_used(tmp_path: Path) -> None:
    config = athena_config(tmp_path / "home", warehouse={"athena_output_location": None})
    script = AthenaScript(WORKGROUP, None)
    with script.stubber:
        script.catalog(config.project_id)
        assert remote_client(config, script, FakeTime()).get("/api/metadata/events", params={"appId": "shop"}).json()
        script.stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("text", "type_name", "value"),
    [
        ("2024-01-08", "date", date(2024, 1, 8)),
        ("2024-01-08 10:03:00.250", "timestamp", datetime(2024, 1, 8, 10, 3, 0, 250000)),
        ("2024-01-08 10:03:00.000 UTC", "timestamp with time zone", datetime(2024, 1, 8, 10, 3, tzinfo=UTC)),
        ("2024-01-08 18:03:00.000 +08:00", "timestamp with time zone", datetime(2024, 1, 8, 10, 3, tzinfo=UTC)),
        ("3", "bigint", 3),
        ("0.3333", "double", 0.3333),
        ("12.50", "decimal", 12.5),
        ("true", "boolean", True),
        (None, "bigint", None),
        ("Web", "varchar", "Web"),
    ],
)
def test_athena_values_are_typed_by_their_column(text: str | None, type_name: str, value: Any) -> None:
    assert typed_value(text, type_name) == value

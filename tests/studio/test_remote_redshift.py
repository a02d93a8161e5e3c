"""The Studio on a Redshift warehouse: analyses run through the Redshift Data API (botocore Stubber).

Each scripted answer holds the rows DuckDB gives for the same analysis on tests/studio/dataset.py, so
an analysis answered through Redshift must equal the one answered from the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import botocore.config
import botocore.session
import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config, parse_config
from clickstream.redshift_data_api import typed_value
from clickstream.serving import snapshot_path
from clickstream.studio.app import create_app
from clickstream.studio.reader import WarehouseClients
from clickstream.studio.snapshot import SnapshotReader
from tests.studio.remote_stubs import FakeTime, RedshiftScript, meta_tables
from tests.support.config import make_config
from tests.support.studio import FIXED_JANUARY, LOCAL_URL, PASSWORD, REQUEST_ID, assert_engine_error, explore

EVENT_BODY = {"computeMethod": "USER_ID_CNT", "eventAndConditions": [{"eventName": "view_item"}],
              "groupCondition": {"conditions": [{"category": "event_outer", "property": "platform"}]}}  # fmt: skip
TARGET = {"WorkgroupName": "clickstream", "Database": "dev"}  # the Studio's own IAM identity: no login given
ADMIN_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin-AbCdEf"


def redshift_config(home: Path, **studio: Any) -> Config:
    remote = {"redshift_login": "iam", "poll_interval_seconds": 0.5, "poll_max_interval_seconds": 2,
              **studio.pop("warehouse", {})}  # fmt: skip
    return make_config(
        home,
        apps=[{"id": "shop"}, {"id": "other"}],
        data_root="s3://example-data/clickstream/",
        warehouse={"type": "redshift", "redshift": {
            "workgroup_name": "clickstream", "database": "dev", "region": "eu-west-1",
            "secret_arn": ADMIN_SECRET,
            "iam_role_arn": "arn:aws:iam::123456789012:role/copy", "manifest_prefix": "s3://example-pipeline/m/"}},
        studio={"local_password": PASSWORD, "query_timeout_seconds": 5, "warehouse": remote, **studio},
    )  # fmt: skip


@pytest.fixture
def script() -> Iterator[RedshiftScript]:
    script = RedshiftScript(TARGET)
    with script.stubber:
        yield script


def remote_client(config: Config, script: RedshiftScript, time: FakeTime) -> TestClient:
    clients = WarehouseClients(redshift_data=script.client, sleep=time.sleep, clock=time.clock)
    client = TestClient(create_app(config, password=PASSWORD, warehouse_clients=clients), base_url=LOCAL_URL)
    assert client.post("/auth/login", json={"password": PASSWORD}).status_code == 200
    return client


def snapshot_rows(config: Config, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """What DuckDB answers to ``sql`` on the dataset's snapshot: the rows Redshift would send back."""
    result = SnapshotReader(snapshot_path(config)).query(sql)
    return result.columns, [tuple(row[column] for column in result.columns) for row in result.rows]


def test_an_analysis_runs_in_redshift_and_answers_as_the_snapshot_does(
    client: TestClient, studio_config: Config, script: RedshiftScript, tmp_path: Path
) -> None:
    expected = explore(client, "event", EVENT_BODY)
    config, time = redshift_config(tmp_path / "home"), FakeTime()
    script.catalog(config.project_id)
    # submitted, then running, then done: two waits, the second twice the first; the rows in pages of 2
    script.statement(snapshot_rows(studio_config, expected["sql"]), page_rows=2,
                     statuses=("SUBMITTED", "STARTED", "FINISHED"))  # fmt: skip
    script.statement((["newest"], [(datetime(2024, 1, 9, 12, 1),)]))
    answer = remote_client(config, script, time).post(
        "/api/reporting/event", json={**FIXED_JANUARY, **EVENT_BODY}, headers=REQUEST_ID
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == expected["rows"] and len(expected["rows"]) > 2
    executed = script.recorder.sql("ExecuteStatement", "Sql")
    assert executed[3] == answer.json()["sql"] and "from analytics.fct_events" in executed[3].lower()
    assert answer.json()["dataAsOf"] == "2024-01-09 12:01:00"
    assert time.sleeps == [0.5, 1.0]
    script.stubber.assert_no_pending_responses()


def test_the_catalog_comes_from_the_warehouses_meta_tables(script: RedshiftScript, tmp_path: Path) -> None:
    config = redshift_config(tmp_path / "home")
    script.catalog(config.project_id)
    api = remote_client(config, script, FakeTime())
    events = api.get("/api/metadata/events", params={"appId": "shop"}).json()
    assert {event["name"]: event["summary"]["latestCount"] for event in events} == {
        "_page_view": 1, "add_to_cart": 1, "purchase": 1, "view_item": 1,  # their latest day's count
    }  # fmt: skip
    tiers = api.get("/api/metadata/user_attributes", params={"appId": "shop"}).json()
    assert [value["value"] for value in tiers[0]["summary"]["valueEnum"]] == ["gold", "silver"]
    # read once, then served from the cache until studio.warehouse.catalog_refresh_seconds pass
    assert script.recorder.sql("ExecuteStatement", "Sql") == [
        f"select * from analytics.{table}" for table in meta_tables(config.project_id)
    ]


def test_a_failed_statement_is_a_500_with_the_request_id_and_redshifts_reason_in_the_log(
    script: RedshiftScript, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = redshift_config(tmp_path / "home")
    script.catalog(config.project_id)
    script.statement(statuses=("STARTED", "FAILED"), error="ERROR: permission denied for relation fct_events")
    answer = remote_client(config, script, FakeTime()).post(
        "/api/reporting/event", json={**FIXED_JANUARY, **EVENT_BODY}, headers=REQUEST_ID
    )
    assert_engine_error(answer, caplog, "permission denied for relation fct_events")
    script.stubber.assert_no_pending_responses()


def test_a_statement_past_the_timeout_is_cancelled_and_answered_504(script: RedshiftScript, tmp_path: Path) -> None:
    config, time = redshift_config(tmp_path / "home", query_timeout_seconds=1.0), FakeTime()
    script.catalog(config.project_id)
    # checked at 0, 0.5 and 1.5 s: still running past 1 s, so cancelled
    script.statement(statuses=("STARTED", "STARTED", "STARTED"), cancel=True)
    answer = remote_client(config, script, time).post(
        "/api/reporting/event", json={**FIXED_JANUARY, **EVENT_BODY}, headers=REQUEST_ID
    )
    assert answer.status_code == 504
    assert "ran longer than 1 s and was cancelled" in answer.json()["error"]
    assert [name for name, _ in script.recorder.calls][-2:] == ["DescribeStatement", "CancelStatement"]
    script.stubber.assert_no_pending_responses()


def test_a_catalog_the_warehouse_cannot_give_is_an_engine_error_not_an_unknown_event(
    script: RedshiftScript, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = redshift_config(tmp_path / "home")
    script.statement(statuses=("FAILED",), error='ERROR: relation "analytics.meta_event" does not exist')
    answer = remote_client(config, script, FakeTime()).post(
        "/api/reporting/event", json={**FIXED_JANUARY, **EVENT_BODY}, headers=REQUEST_ID
    )
    assert_engine_error(answer, caplog, 'relation "analytics.meta_event" does not exist')
    assert any("reading the metadata catalog" in record.getMessage() for record in caplog.records)


def test_with_the_warehouse_login_the_studio_signs_in_as_the_loader_does(tmp_path: Path) -> None:
    config = redshift_config(tmp_path / "home", warehouse={"redshift_login": "warehouse"})
    script = RedshiftScript({**TARGET, "SecretArn": ADMIN_SECRET})
    with script.stubber:
        script.catalog(config.project_id)
        api = remote_client(config, script, FakeTime())
        assert api.get("/api/metadata/events", params={"appId": "shop"}).status_code == 200
        script.stubber.assert_no_pending_responses()


def test_the_sql_route_names_the_configured_schema(client: TestClient, tmp_path: Path) -> None:
    config = redshift_config(tmp_path / "home", warehouse={"schema": "marts"})
    script = RedshiftScript(TARGET)
    with script.stubber:
        script.catalog(config.project_id)
        answer = remote_client(config, script, FakeTime()).post(
            "/api/reporting/event/sql", json={**FIXED_JANUARY, **EVENT_BODY}, headers=REQUEST_ID
        )
    assert answer.status_code == 200
    assert "marts.fct_events" in answer.json()["redshift"] and "marts.fct_events" in answer.json()["athena"]


@pytest.mark.parametrize(
    ("field", "type_name", "value"),
    [
        ({"stringValue": "2024-01-08"}, "date", date(2024, 1, 8)),
        ({"stringValue": "2024-01-08 10:03:00.25"}, "timestamp", datetime(2024, 1, 8, 10, 3, 0, 250000)),
        ({"stringValue": "33.3333"}, "numeric", 33.3333),
        ({"longValue": 7}, "int8", 7),
        ({"isNull": True}, "date", None),
        ({"stringValue": "Web"}, "varchar", "Web"),
    ],
)
def test_data_api_values_are_typed_by_their_column(field: dict[str, Any], type_name: str, value: Any) -> None:
    assert typed_value(field, type_name) == value


@pytest.mark.parametrize("service", ["redshift-data", "athena"])
def test_a_warehouse_that_does_not_answer_is_an_engine_error_logged_with_its_reason(
    tmp_path: Path, service: str, caplog: pytest.LogCaptureFixture
) -> None:
    # a real client on a loopback port where nothing listens: botocore raises EndpointConnectionError, no ClientError
    unreachable = botocore.session.get_session().create_client(
        service, region_name="eu-west-1", endpoint_url="http://127.0.0.1:9", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=botocore.config.Config(retries={"max_attempts": 0}),
    )  # fmt: skip
    config = redshift_config(tmp_path / "home")
    if service == "athena":
        settings = config.model_dump(mode="json", by_alias=True)
        settings["warehouse"].update(type="athena", athena={"database": "clickstream", "region": "eu-west-1"})
        del settings["dbt"]["target"]  # it follows warehouse.type
        config = parse_config(settings, tmp_path)
    clients = WarehouseClients(redshift_data=unreachable, athena=unreachable)
    with TestClient(create_app(config, password=PASSWORD, warehouse_clients=clients), base_url=LOCAL_URL) as api:
        assert api.post("/auth/login", json={"password": PASSWORD}).status_code == 200
        answer = api.post("/api/reporting/event", json={**FIXED_JANUARY, **EVENT_BODY}, headers=REQUEST_ID)
    assert_engine_error(answer, caplog, "EndpointConnectionError")

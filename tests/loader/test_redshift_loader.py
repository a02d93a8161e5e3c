"""Loading into Redshift: manifests on S3 (moto), statements through the Data API (Stubber where moto lacks it)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.stub
import pytest
from sqlfluff.core import FluffConfig, Linter
from sqlfluff.core.types import ConfigMappingType

from clickstream.config import RedshiftConfig, parse_config
from clickstream.contract import ALL_TABLES, EVENT_V2, REJECTED, processed_file, rows_to_arrow
from clickstream.errors import ConfigError, WarehouseError
from clickstream.loader.factory import open_warehouse
from clickstream.loader.redshift_sql import RedshiftSql, Statement
from clickstream.loader.redshift_warehouse import RedshiftWarehouse, s3_client
from clickstream.loader.runner import load_new_files
from clickstream.loader.warehouse import FileToLoad
from clickstream.redshift_data_api import DataApi, target_of
from clickstream.run_history import StageRecord
from clickstream.storage import Storage

ROLE = "arn:aws:iam::123456789012:role/clickstream-copy"
DAY = date(2024, 5, 1)
_CORE: ConfigMappingType = {"dialect": "redshift", "templater": "placeholder"}
_REDSHIFT = Linter(config=FluffConfig(configs={"core": _CORE, "templater": {"placeholder": {"param_style": "colon"}}}))


def parse_redshift(sql: str) -> list[str]:
    """sqlfluff's parse errors of one statement (Data API parameters ``:name`` are placeholders).

    sqlfluff's Redshift grammar lacks COPY's SERIALIZETOJSON option (a real option for Parquet into
    SUPER columns, which the original's merge procedures used), so that one word is taken out first.
    """
    parsed = _REDSHIFT.parse_string(sql.replace(" serializetojson ", " "))
    return [str(violation) for violation in parsed.violations]


def event_row(event_id: str) -> dict[str, Any]:
    moment = datetime(2024, 5, 1, 12, tzinfo=UTC)
    return {"event_timestamp": moment, "event_id": event_id, "event_time_msec": int(moment.timestamp() * 1000),
            "event_name": "_page_view", "project_id": "p", "app_id": "shop", "user_pseudo_id": "u1",
            "custom_parameters": {"k": {"value": "v", "type": "string"}}}  # fmt: skip


class Lake:
    """A bucket on moto's S3 server: the storage root under home/, manifests under manifests/."""

    def __init__(self, endpoint: str) -> None:
        self.bucket = f"lake-{uuid.uuid4().hex[:12]}"
        self.s3 = s3_client(endpoint, "us-east-1")
        self.s3.create_bucket(Bucket=self.bucket)
        address = urlsplit(endpoint).netloc
        self.storage = Storage(f"s3://{self.bucket}/home?endpoint_override={address}&scheme=http&region=us-east-1")

    def write_events(self, source_id: str, *event_ids: str) -> str:
        path = processed_file("event_v2", "shop", DAY, source_id)
        self.storage.write_parquet(path, rows_to_arrow(EVENT_V2, [event_row(e) for e in event_ids]))
        return str(path)

    def loaded_row(self, source_id: str, *event_ids: str) -> list[Any]:
        """Write an event file and return its ledger row as Redshift returns one for a loaded file."""
        path = self.write_events(source_id, *event_ids)
        [stored] = [found for found in self.storage.list_files("processed") if found.path == path]
        return [path, "event_v2", stored.size, stored.mtime_ns, "f" * 64, len(event_ids), "l1", "2024-05-01 12:00:00.5"]

    def read_json(self, key: str) -> Any:
        return json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def keys(self, prefix: str) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))


class DataApiScript:
    """The Data API calls a test expects, answered by botocore's Stubber (which checks every request
    against the service model); the SQL each call sent is kept for assertions."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.stubber = botocore.stub.Stubber(client)
        self.sent: list[dict[str, Any]] = []
        client.meta.events.register("before-parameter-build.redshift-data.*", self._keep)

    def _keep(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.sent.append({"operation": model.name, **params})

    def batch(self, statuses: tuple[str, ...] = ("FINISHED",), rows: list[int] | None = None, **final: Any) -> None:
        statement_id = str(uuid.uuid4())
        self.stubber.add_response("batch_execute_statement", {"Id": statement_id})
        for status in statuses:
            answer: dict[str, Any] = {"Id": statement_id, "Status": status, **(final if status != "STARTED" else {})}
            if status == "FINISHED":
                answer["SubStatements"] = [
                    {"Id": f"{statement_id}:{i + 1}", "Status": "FINISHED", "ResultRows": n}
                    for i, n in enumerate(rows or [])
                ]
            self.stubber.add_response("describe_statement", answer, {"Id": statement_id})

    def query(self, *pages: list[list[Any]]) -> None:
        statement_id = str(uuid.uuid4())
        self.stubber.add_response("execute_statement", {"Id": statement_id})
        self.stubber.add_response(
            "describe_statement", {"Id": statement_id, "Status": "FINISHED", "HasResultSet": True}, {"Id": statement_id}
        )
        for number, page in enumerate(pages):
            last = number == len(pages) - 1
            answer: dict[str, Any] = {"Records": [[_field(v) for v in row] for row in page], "TotalNumRows": 0}
            expected: dict[str, Any] = {"Id": statement_id}
            if number:
                expected["NextToken"] = f"page-{number}"
            if not last:
                answer["NextToken"] = f"page-{number + 1}"
            self.stubber.add_response("get_statement_result", answer, expected)

    def statement(self) -> None:
        statement_id = str(uuid.uuid4())
        self.stubber.add_response("execute_statement", {"Id": statement_id})
        answer = {"Id": statement_id, "Status": "FINISHED"}
        self.stubber.add_response("describe_statement", answer, {"Id": statement_id})

    def sql_of(self, operation: str) -> list[list[str]]:
        return [
            call["Sqls"] if operation == "BatchExecuteStatement" else [call["Sql"]]
            for call in self.sent
            if call["operation"] == operation
        ]


def _field(value: Any) -> dict[str, Any]:
    if value is None:
        return {"isNull": True}
    return {"longValue": value} if isinstance(value, int) else {"stringValue": str(value)}


def settings_for(lake: Lake, endpoint: str, **overrides: Any) -> RedshiftConfig:
    values: dict[str, Any] = {"cluster_identifier": "analytics", "db_user": "loader", "iam_role_arn": ROLE,
              "manifest_prefix": f"s3://{lake.bucket}/manifests", "endpoint_url": endpoint, "region": "us-east-1",
              "poll_interval_seconds": 0.01, "poll_max_interval_seconds": 0.04}  # fmt: skip
    return RedshiftConfig(**{**values, **overrides})


@pytest.fixture
def lake(moto_endpoint: str, fake_aws_credentials: None) -> Lake:
    return Lake(moto_endpoint)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def script(moto_endpoint: str, fake_aws_credentials: None) -> Iterator[DataApiScript]:
    client = boto3.client("redshift-data", region_name="us-east-1", endpoint_url=moto_endpoint)
    stubbed = DataApiScript(client)
    with stubbed.stubber:
        yield stubbed
        stubbed.stubber.assert_no_pending_responses()


@pytest.fixture
def warehouse(lake: Lake, moto_endpoint: str, script: DataApiScript, sleeps: list[float], tmp_path: Path) -> Any:
    settings = settings_for(lake, moto_endpoint)
    data_api = DataApi(script.client, target_of(settings), 0.01, 0.04, 60, sleep=sleeps.append)
    return RedshiftWarehouse(settings, "ods", tmp_path / "load.lock", data_api=data_api, s3=lake.s3)


def every_column(*tables: Any) -> list[list[Any]]:
    return [[table.name, column] for table in tables for column in table.column_names]


def test_a_load_copies_a_manifest_of_the_new_files_and_records_them_in_one_transaction(
    lake: Lake, script: DataApiScript, warehouse: RedshiftWarehouse
) -> None:
    first = lake.write_events("in-1", "a", "b")
    second = lake.write_events("in-2", "c")
    script.batch()  # create tables
    script.query(every_column(EVENT_V2))
    script.query([])  # empty ledger
    script.batch(rows=[-1, 0, 3, 0, 2, 1, 1, 3, 2])

    result = load_new_files(lake.storage, warehouse, 500, 5, tables=(EVENT_V2,))

    assert (result.files["event_v2"], result.rows["event_v2"]) == (2, 3)
    [create, load] = script.sql_of("BatchExecuteStatement")
    assert any('create table if not exists "ods"."event_v2"' in sql for sql in create)
    [ledger_key, manifest_key] = lake.keys("manifests/event_v2/")  # <load id>.ledger.jsonl, <load id>.manifest
    manifest = lake.read_json(manifest_key)
    sizes = {stored.path: stored.size for stored in lake.storage.list_files("processed")}
    assert manifest == {"entries": [
        {"url": f"s3://{lake.bucket}/home/{path}", "mandatory": True, "meta": {"content_length": sizes[path]}}
        for path in (first, second)]}  # fmt: skip
    ledger_lines = lake.s3.get_object(Bucket=lake.bucket, Key=ledger_key)["Body"].read().decode().splitlines()
    assert [(line["path"], line["row_count"]) for line in map(json.loads, ledger_lines)] == [(first, 2), (second, 1)]
    assert load[0] == 'lock "ods"."_loaded_files"'
    assert f"from 's3://{lake.bucket}/{manifest_key}' iam_role '{ROLE}' format as parquet" in load[2]
    assert load[-2].startswith('insert into "ods"."event_v2"') and load[-1].startswith('insert into "ods"."_loaded')
    [load_call] = [call for call in script.sent if call["operation"] == "BatchExecuteStatement"][1:]
    assert (load_call["ExecutionMode"], load_call["ClusterIdentifier"], load_call["DbUser"]) == (
        "TRANSACTION",
        "analytics",
        "loader",
    )


def test_a_second_load_with_nothing_new_sends_no_load(
    lake: Lake, script: DataApiScript, warehouse: RedshiftWarehouse
) -> None:
    loaded = lake.loaded_row("in-1", "a")
    script.batch()
    script.query(every_column(EVENT_V2))
    script.query([loaded])

    result = load_new_files(lake.storage, warehouse, 500, 5, tables=(EVENT_V2,))

    assert (result.total_files, result.already_loaded) == (0, 1)
    assert len(script.sql_of("BatchExecuteStatement")) == 1  # only the idempotent create
    assert lake.keys("manifests/") == []


def test_a_batch_already_recorded_by_another_loader_inserts_nothing(
    lake: Lake, script: DataApiScript, warehouse: RedshiftWarehouse
) -> None:
    lake.write_events("in-1", "a")
    [stored] = lake.storage.list_files("processed")
    file = FileToLoad(stored.path, lake.storage.uri(stored.path), stored.size, stored.mtime_ns, "0" * 64, 1)
    script.batch(rows=[-1, 0, 1, 0, 1, 1, 1, 0, 0])  # the guard counted the file: both inserts touch 0 rows
    assert warehouse.load_files(EVENT_V2, [file], "load-2") == 0
    [sqls] = script.sql_of("BatchExecuteStatement")
    assert all("(select already_loaded from" in sql for sql in sqls[-2:])


def test_a_re_processed_file_replaces_rows_by_key_from_its_own_manifest(
    lake: Lake, script: DataApiScript, warehouse: RedshiftWarehouse
) -> None:
    lake.write_events("in-1", "a")
    lake.write_events("in-2", "b")
    files = [
        FileToLoad(s.path, lake.storage.uri(s.path), s.size, s.mtime_ns, "0" * 64, 1, replaces="in-2" in s.path)
        for s in lake.storage.list_files("processed")
    ]
    script.batch(rows=[-1, 0, 2, 0, 2, 1, 1, 0, 1, 1, 1, 2, 2])
    warehouse.load_files(EVENT_V2, files, "load-3")
    replacing = lake.read_json("manifests/event_v2/load-3-replacing.manifest")
    assert [entry["url"] for entry in replacing["entries"]] == [files[1].location]
    [sqls] = script.sql_of("BatchExecuteStatement")
    delete = next(sql for sql in sqls if sql.startswith('delete from "ods"."event_v2"'))
    assert '"ods"."event_v2"."event_id" = replacing."event_id"' in delete
    assert any(sql.startswith('delete from "ods"."_loaded_files" using "_stage_ledger"') for sql in sqls)


def test_a_failed_statement_names_its_step_and_says_nothing_was_committed(
    lake: Lake, script: DataApiScript, warehouse: RedshiftWarehouse
) -> None:
    lake.write_events("in-1", "a")
    [stored] = lake.storage.list_files("processed")
    file = FileToLoad(stored.path, lake.storage.uri(stored.path), stored.size, stored.mtime_ns, "0" * 64, 1)
    statement_id = str(uuid.uuid4())
    script.stubber.add_response("batch_execute_statement", {"Id": statement_id})
    steps = [{"Id": f"{statement_id}:1", "Status": "FINISHED"}, {"Id": f"{statement_id}:2", "Status": "FINISHED"},
             {"Id": f"{statement_id}:3", "Status": "FAILED", "Error": "S3ServiceException:Access Denied"},
             {"Id": f"{statement_id}:4", "Status": "ABORTED"}]  # fmt: skip
    failed = {"Id": statement_id, "Status": "FAILED", "Error": "batch failed", "SubStatements": steps}
    script.stubber.add_response("describe_statement", failed)
    with pytest.raises(WarehouseError) as raised:
        warehouse.load_files(EVENT_V2, [file], "load-4")
    assert "step 3 of 9, 'copy the files into the stage': S3ServiceException:Access Denied" in raised.value.message
    assert raised.value.hint is not None and "none of its rows or ledger entries were committed" in raised.value.hint


def test_status_is_polled_with_a_growing_wait_until_the_batch_finishes(
    script: DataApiScript, warehouse: RedshiftWarehouse, sleeps: list[float]
) -> None:
    script.batch(statuses=("SUBMITTED", "PICKED", "STARTED", "STARTED", "FINISHED"))
    script.query([])
    warehouse.ensure_tables([])
    assert sleeps == [0.01, 0.02, 0.04, 0.04]


def test_a_statement_still_running_at_the_timeout_is_cancelled(moto_endpoint: str, fake_aws_credentials: None) -> None:
    """moto's Data API keeps every statement STARTED: the timeout path runs against it for real."""
    client = boto3.client("redshift-data", region_name="us-east-1", endpoint_url=moto_endpoint)
    api = DataApi(client, {"ClusterIdentifier": "analytics", "Database": "dev", "DbUser": "loader"}, 0.01, 0.02, 0.05)
    with pytest.raises(WarehouseError, match=r"'read the ledger' .* after 0.05s and was cancelled") as raised:
        api.run(Statement("read the ledger", "select 1"))
    [statement_id] = [word.strip("()") for word in raised.value.message.split() if word.count("-") == 4]
    assert client.describe_statement(Id=statement_id)["Status"] == "ABORTED"


def test_the_ledger_is_read_across_result_pages(script: DataApiScript, warehouse: RedshiftWarehouse) -> None:
    row = ["processed/event_v2/a.parquet", "event_v2", 10, 7, "a" * 64, 2, "l1", "2024-05-01 12:00:00.123456"]
    script.query([row], [["processed/item_v2/b.parquet", "item_v2", *row[2:]]])
    ledger = warehouse.ledger()
    assert sorted(ledger) == ["processed/event_v2/a.parquet", "processed/item_v2/b.parquet"]
    entry = ledger["processed/event_v2/a.parquet"]
    assert (entry.size_bytes, entry.row_count, entry.loaded_at) == (10, 2, datetime(2024, 5, 1, 12, 0, 0, 123456, UTC))


def test_ensure_tables_uses_the_originals_physical_design_and_adds_missing_columns(
    script: DataApiScript, warehouse: RedshiftWarehouse
) -> None:
    script.batch()
    script.query([row for row in every_column(EVENT_V2) if row[1] != "sdk_name"])
    script.statement()
    warehouse.ensure_tables([EVENT_V2])
    [create] = script.sql_of("BatchExecuteStatement")
    event_table = next(sql for sql in create if '"ods"."event_v2"' in sql)
    assert event_table.endswith('diststyle even sortkey ("event_timestamp")')
    assert '"event_id" varchar(255) not null' in event_table and '"custom_parameters" super' in event_table
    assert '"created_time" timestamp default getdate()' in event_table
    query = next(call for call in script.sent if call["operation"] == "ExecuteStatement")
    assert query["Parameters"] == [{"name": "schema", "value": "ods"}]
    assert script.sql_of("ExecuteStatement")[-1] == ['alter table "ods"."event_v2" add column "sdk_name" varchar(255)']


def test_stage_records_travel_as_parameters_never_as_sql_text(
    script: DataApiScript, warehouse: RedshiftWarehouse
) -> None:
    moment = datetime(2024, 5, 1, 12, tzinfo=UTC)
    script.statement()
    script.statement()
    script.statement()
    warehouse.record_stages([StageRecord("run-1", "load", moment, moment, "ok", 2, 2, "it's done'; drop table x"),
                             StageRecord("run-1", "model", moment, moment, "ok", 0, 0, "")])  # fmt: skip
    insert = [call for call in script.sent if call["operation"] == "ExecuteStatement"][-1]
    assert "drop table" not in insert["Sql"] and "''" in insert["Sql"]
    assert {"name": "v0_detail", "value": "it's done'; drop table x"} in insert["Parameters"]
    assert not parse_redshift(insert["Sql"])


def test_every_statement_parses_as_redshift_sql() -> None:
    sql = RedshiftSql("ods")
    statements = [sql.create_schema(), sql.create_ledger(), sql.create_run_history(), sql.existing_columns(),
                  sql.delete_ledger_entry(), sql.refresh_ledger_entry(), sql.delete_rejects_of(),
                  sql.select_ledger(), sql.insert_stages([["r", "etl", "2024-05-01 12:00:00", "2024-05-01 12:00:01",
                                                           "ok", "1", "2", None]])]  # fmt: skip
    for table in ALL_TABLES.values():
        statements += [sql.create_table(table), sql.add_column(table, table.columns[-1].name)]
        statements += sql.load(table, "s3://b/m/1.manifest", "s3://b/m/1.ledger.jsonl", ROLE, "s3://b/m/1-r.manifest")
    problems = {statement.purpose: parse_redshift(statement.sql) for statement in statements}
    assert {purpose: errors for purpose, errors in problems.items() if errors} == {}


def test_files_outside_s3_are_refused_before_anything_is_sent(warehouse: RedshiftWarehouse) -> None:
    file = FileToLoad("processed/event_v2/a.parquet", "/tmp/a.parquet", 1, 1, "0" * 64, 1)
    with pytest.raises(WarehouseError, match="can only COPY from S3"):
        warehouse.load_files(EVENT_V2, [file], "load-5")


def test_a_manifest_uri_that_could_break_out_of_its_literal_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be written into SQL"):
        RedshiftSql("ods").load(EVENT_V2, "s3://b/x' ; drop table y; --", "s3://b/l", ROLE, None)


def test_warehouse_type_redshift_without_its_section_names_the_key_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"warehouse\.redshift is required .* add it, e\.g\. warehouse\.redshift: \{"):
        parse_config({"warehouse": {"type": "redshift"}}, tmp_path)


def test_a_redshift_section_needs_exactly_one_of_cluster_and_workgroup(tmp_path: Path) -> None:
    section = {"workgroup_name": "wg", "cluster_identifier": "c", "iam_role_arn": ROLE, "manifest_prefix": "s3://bkt/m"}
    with pytest.raises(ConfigError, match=r"warehouse\.redshift: set exactly one of cluster_identifier"):
        parse_config({"warehouse": {"type": "redshift", "redshift": section}}, tmp_path)


def test_the_factory_opens_a_serverless_redshift_warehouse(tmp_path: Path, fake_aws_credentials: None) -> None:
    section = {"workgroup_name": "wg", "iam_role_arn": ROLE, "manifest_prefix": "s3://bkt/m", "region": "eu-west-1"}
    document = {
        "home": str(tmp_path),
        "data_root": "s3://bkt/lake",
        "warehouse": {"type": "redshift", "redshift": section},
    }
    config = parse_config(document, tmp_path)
    warehouse = open_warehouse(config)
    assert isinstance(warehouse, RedshiftWarehouse)
    assert warehouse.description == "redshift workgroup wg/dev (schema ods)"
    assert target_of(warehouse.settings) == {"Database": "dev", "WorkgroupName": "wg"}


def test_a_file_the_etl_deleted_leaves_the_ledger_through_a_parameter(
    lake: Lake, script: DataApiScript, warehouse: RedshiftWarehouse
) -> None:
    kept = lake.loaded_row("in-2", "a")
    gone = [kept[0].replace("in-2", "in-1"), "event_v2", 10, 1, "e" * 64, 4, "l1", "2024-05-01 12:00:00.5"]
    script.batch()
    script.query(every_column(EVENT_V2))
    script.query([kept, gone])
    script.statement()

    result = load_new_files(lake.storage, warehouse, 500, 5, tables=(EVENT_V2,))

    assert (result.vanished, result.rows_removed) == (1, 0)  # COPY cannot tell a file's rows apart: they stay
    [delete] = [call for call in script.sent if call["operation"] == "ExecuteStatement"][2:]
    assert delete["Sql"] == 'delete from "ods"."_loaded_files" where path = :path'
    assert delete["Parameters"] == [{"name": "path", "value": gone[0]}]


def test_a_mixed_case_schema_is_looked_up_as_redshift_folds_it(
    lake: Lake, moto_endpoint: str, script: DataApiScript, sleeps: list[float], tmp_path: Path
) -> None:
    settings = settings_for(lake, moto_endpoint)
    data_api = DataApi(script.client, target_of(settings), 0.01, 0.04, 60, sleep=sleeps.append)
    warehouse = RedshiftWarehouse(settings, "Ods", tmp_path / "load.lock", data_api=data_api, s3=lake.s3)
    script.batch()
    script.query(every_column(EVENT_V2))
    warehouse.ensure_tables([EVENT_V2])
    [lookup] = [call for call in script.sent if call["operation"] == "ExecuteStatement"]
    assert lookup["Parameters"] == [{"name": "schema", "value": "ods"}]
    assert len(script.sql_of("BatchExecuteStatement")) == 1  # every column found: nothing to add


def test_a_vanished_reject_file_takes_its_rows_with_it(
    lake: Lake, script: DataApiScript, warehouse: RedshiftWarehouse
) -> None:
    loaded = lake.loaded_row("in-2", "a")
    gone = ["rejected/bot/in-1.parquet", "rejected", 10, 1, "e" * 64, 3, "l1", "2024-05-01 12:00:00.5"]
    script.batch()
    script.query(every_column(EVENT_V2, REJECTED))
    script.query([loaded, gone])
    script.statement()
    script.statement()

    result = load_new_files(lake.storage, warehouse, 500, 5, tables=(EVENT_V2, REJECTED))

    assert (result.vanished, result.rows_removed) == (1, 3)
    delete_rows, delete_entry = [call for call in script.sent if call["operation"] == "ExecuteStatement"][2:]
    assert delete_rows["Sql"] == 'delete from "ods"."rejected" where reason = :reason and source_id = :source_id'
    assert delete_rows["Parameters"] == [{"name": "reason", "value": "bot"}, {"name": "source_id", "value": "in-1"}]
    assert delete_entry["Parameters"] == [{"name": "path", "value": gone[0]}]

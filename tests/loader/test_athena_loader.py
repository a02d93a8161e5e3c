"""Loading into Athena: Glue tables and partitions (moto's Glue), the ledger and the lock on S3 (moto's S3)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pyarrow as pa
import pytest

from clickstream.config import AthenaConfig, parse_config
from clickstream.contract import EVENT_V2, REJECTED, Column, Table, rejected_file, rows_to_arrow
from clickstream.errors import ConfigError, LockBusy, WarehouseError
from clickstream.loader.athena_lock import S3LeaseLock
from clickstream.loader.athena_warehouse import LOCK_OBJECT, AthenaWarehouse
from clickstream.loader.factory import open_warehouse
from clickstream.loader.runner import load_new_files, run_load
from clickstream.loader.warehouse import FileToLoad
from clickstream.run_history import StageRecord
from tests.loader.test_redshift_loader import Lake

DAY = date(2024, 5, 1)


@pytest.fixture
def lake(moto_endpoint: str, fake_aws_credentials: None) -> Lake:
    return Lake(moto_endpoint)


def settings_for(lake: Lake, endpoint: str, **overrides: Any) -> AthenaConfig:
    database = f"clickstream_{lake.bucket.removeprefix('lake-')}"
    values = {"database": database, "data_root": f"s3://{lake.bucket}/home", "endpoint_url": endpoint,
              "region": "us-east-1", "lock_lease_seconds": 30}  # fmt: skip
    return AthenaConfig(**{**values, **overrides})


@pytest.fixture
def warehouse(lake: Lake, moto_endpoint: str) -> AthenaWarehouse:
    return AthenaWarehouse(settings_for(lake, moto_endpoint), s3=lake.s3)


def load(lake: Lake, warehouse: AthenaWarehouse, tables: tuple[Table, ...] = (EVENT_V2,)) -> Any:
    return load_new_files(lake.storage, warehouse, 500, 5, tables=tables)


def partitions(warehouse: AthenaWarehouse, table: str) -> list[tuple[list[str], str]]:
    found = warehouse.glue.get_partitions(DatabaseName=warehouse.database, TableName=table)["Partitions"]
    return sorted((p["Values"], p["StorageDescriptor"]["Location"]) for p in found)


def test_tables_get_the_originals_partition_keys_and_parquet_storage(warehouse: AthenaWarehouse) -> None:
    warehouse.ensure_tables([EVENT_V2, REJECTED])
    table = warehouse.glue.get_table(DatabaseName=warehouse.database, Name="event_v2")["Table"]
    assert [key["Name"] for key in table["PartitionKeys"]] == [
        "partition_app",
        "partition_year",
        "partition_month",
        "partition_day",
    ]
    columns = {column["Name"]: column["Type"] for column in table["StorageDescriptor"]["Columns"]}
    assert columns["event_timestamp"] == "timestamp" and columns["event_time_msec"] == "bigint"
    assert columns["custom_parameters"] == "map<string,struct<value:string,type:string>>"
    assert table["StorageDescriptor"]["Location"] == f"{warehouse.data_root}processed/event_v2/"
    assert "Parquet" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    ledger = warehouse.glue.get_table(DatabaseName=warehouse.database, Name="_loaded_files")["Table"]
    assert ledger["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert ledger["StorageDescriptor"]["Location"] == f"{warehouse.data_root}_warehouse/_loaded_files/"
    rejected = warehouse.glue.get_table(DatabaseName=warehouse.database, Name="rejected")["Table"]
    assert [key["Name"] for key in rejected["PartitionKeys"]] == ["partition_reason"]


def test_a_load_registers_the_new_partitions_and_records_the_files(lake: Lake, warehouse: AthenaWarehouse) -> None:
    first = lake.write_events("in-1", "a", "b")
    lake.write_events("in-2", "c")
    result = load(lake, warehouse)
    assert (result.files["event_v2"], result.rows["event_v2"]) == (2, 3)
    folder = f"{warehouse.data_root}processed/event_v2/partition_app=shop/partition_year=2024/"
    assert partitions(warehouse, "event_v2") == [
        (["shop", "2024", "05", "01"], f"{folder}partition_month=05/partition_day=01/")
    ]
    ledger = warehouse.ledger()
    assert sorted(ledger) == sorted(stored.path for stored in lake.storage.list_files("processed"))
    assert (ledger[first].row_count, ledger[first].table_name) == (2, "event_v2")
    [ledger_object] = lake.keys("home/_warehouse/_loaded_files/")
    assert ledger_object.endswith(f"{ledger[first].load_id}.json")


def test_a_second_load_with_nothing_new_does_nothing(lake: Lake, warehouse: AthenaWarehouse) -> None:
    lake.write_events("in-1", "a")
    load(lake, warehouse)
    again = load(lake, warehouse)
    assert (again.total_files, again.already_loaded) == (0, 1)
    assert len(lake.keys("home/_warehouse/_loaded_files/")) == 1


def test_files_landing_in_a_registered_partition_are_recorded_once_each(lake: Lake, warehouse: AthenaWarehouse) -> None:
    lake.write_events("in-1", "a")
    load(lake, warehouse)
    lake.write_events("in-2", "b")  # the same day: its partition exists already
    result = load(lake, warehouse)
    assert (result.files["event_v2"], result.already_loaded) == (1, 1)
    assert len(partitions(warehouse, "event_v2")) == 1
    assert sum(entry.row_count for entry in warehouse.ledger().values()) == 2


def test_a_re_processed_file_supersedes_its_ledger_entry(lake: Lake, warehouse: AthenaWarehouse) -> None:
    path = lake.write_events("in-1", "a", "b")
    load(lake, warehouse)
    before = warehouse.ledger()[path]
    lake.write_events("in-1", "a2", "b2", "c2")  # the ETL rewrote the file in place: Athena reads the new rows
    result = load(lake, warehouse)
    after = warehouse.ledger()[path]
    assert (result.replaced, after.row_count) == (1, 3)
    assert after.sha256 != before.sha256 and after.loaded_at > before.loaded_at


def test_rejected_files_are_partitioned_by_their_reason_folder(lake: Lake, warehouse: AthenaWarehouse) -> None:
    reject = {"reason": "corrupt_json", "source_id": "in-1", "source_file": "raw/x", "record_index": 0,
              "event_index": -1, "payload": "{", "rejected_at": datetime(2024, 5, 1, tzinfo=UTC)}  # fmt: skip
    lake.storage.write_parquet(rejected_file("corrupt_json", "in-1"), rows_to_arrow(REJECTED, [reject]))
    assert load(lake, warehouse, (REJECTED,)).rows["rejected"] == 1
    assert partitions(warehouse, "rejected") == [(["corrupt_json"], f"{warehouse.data_root}rejected/corrupt_json/")]


def test_a_column_the_contract_gains_is_added_and_none_is_dropped(warehouse: AthenaWarehouse) -> None:
    narrow = Table("t", "test", (Column("a", pa.string(), "varchar(255)", "a"),), key=("a",))
    wide = Table("t", "test", (Column("b", pa.int64(), "bigint", "b"),), key=("b",))
    warehouse.ensure_tables([narrow])
    warehouse.ensure_tables([wide])
    table = warehouse.glue.get_table(DatabaseName=warehouse.database, Name="t")["Table"]
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [("a", "string"), ("b", "bigint")]


def test_a_file_outside_the_tables_location_is_refused(lake: Lake, warehouse: AthenaWarehouse) -> None:
    warehouse.ensure_tables([EVENT_V2])
    file = FileToLoad("processed/event_v2/x.parquet", "s3://elsewhere/processed/event_v2/x.parquet", 1, 1, "0", 1)
    with pytest.raises(WarehouseError, match="is not under the Glue table event_v2's location"):
        warehouse.load_files(EVENT_V2, [file], "l1")
    assert warehouse.ledger() == {}


def test_loading_before_the_tables_exist_fails_with_glues_reason_and_records_nothing(
    lake: Lake, warehouse: AthenaWarehouse
) -> None:
    path = lake.write_events("in-1", "a")
    file = FileToLoad(path, lake.storage.uri(path), 1, 1, "0", 1)
    with pytest.raises(WarehouseError, match="registering partitions of event_v2 failed: EntityNotFoundException"):
        warehouse.load_files(EVENT_V2, [file], "l1")
    assert lake.keys("home/_warehouse/") == []


def test_stage_records_are_json_lines_athena_can_read(lake: Lake, warehouse: AthenaWarehouse) -> None:
    moment = datetime(2024, 5, 1, 12, tzinfo=UTC)
    warehouse.record_stages([StageRecord("run-1", "load", moment, moment, "ok", 2, 2, 'say "hi"')])
    [key] = lake.keys("home/_warehouse/_pipeline_runs/")
    line = json.loads(lake.s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read())
    assert (line["started_at"], line["detail"]) == ("2024-05-01 12:00:00.000000", 'say "hi"')


def test_the_load_lock_is_held_on_s3_and_released(lake: Lake, warehouse: AthenaWarehouse) -> None:
    key = f"home/_warehouse/{LOCK_OBJECT}"
    with warehouse.load_lock(1):
        holder = json.loads(lake.s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read())
        assert holder["expires_at"] > time.time()
    assert lake.keys(key) == []


def test_a_second_loader_waits_for_a_live_holder_then_gives_up_naming_it(
    lake: Lake, warehouse: AthenaWarehouse, moto_endpoint: str
) -> None:
    other = AthenaWarehouse(settings_for(lake, moto_endpoint), s3=lake.s3)
    busy = pytest.raises(LockBusy, match=r"already running \(pid \d+ on .*waited 0.3s")
    with warehouse.load_lock(1), busy, other.load_lock(0.3):
        pytest.fail("two loaders held the lock at once")


def test_a_dead_holders_expired_lease_is_taken_over(lake: Lake, warehouse: AthenaWarehouse) -> None:
    stale = {"owner": "dead", "pid": 1, "host": "gone", "since": "2024-01-01", "expires_at": time.time() - 1}
    lake.s3.put_object(Bucket=lake.bucket, Key=f"home/_warehouse/{LOCK_OBJECT}", Body=json.dumps(stale).encode())
    with warehouse.load_lock(0):
        holder = lake.read_json(f"home/_warehouse/{LOCK_OBJECT}")
        assert holder["owner"] != "dead"


def test_the_lease_is_renewed_while_a_long_load_runs(lake: Lake, moto_endpoint: str) -> None:
    warehouse = AthenaWarehouse(settings_for(lake, moto_endpoint, lock_lease_seconds=5), s3=lake.s3)
    key = f"home/_warehouse/{LOCK_OBJECT}"
    with warehouse.load_lock(1):
        first = lake.read_json(key)["expires_at"]
        renewed = threading.Event()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not renewed.is_set():
            if lake.read_json(key)["expires_at"] > first:
                renewed.set()
            time.sleep(0.1)
    assert renewed.is_set()


def test_warehouse_type_athena_without_its_section_names_the_key_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"warehouse\.athena is required .* warehouse\.athena: \{database"):
        parse_config({"warehouse": {"type": "athena"}}, tmp_path)


def test_the_factory_opens_an_athena_warehouse_with_its_ledger_beside_the_data(
    tmp_path: Path, fake_aws_credentials: None
) -> None:
    section = {"database": "clickstream", "region": "eu-west-1"}
    document = {"home": str(tmp_path), "data_root": "s3://bkt/lake", "warehouse": {"type": "athena", "athena": section}}
    config = parse_config(document, tmp_path)
    warehouse = open_warehouse(config)
    assert isinstance(warehouse, AthenaWarehouse)
    assert (warehouse.description, warehouse.ledger_root) == (
        "athena glue database clickstream over s3://bkt/lake/",
        "s3://bkt/lake/_warehouse/",
    )


def test_glue_is_reached_through_the_configured_endpoint(lake: Lake, moto_endpoint: str) -> None:
    warehouse = AthenaWarehouse(settings_for(lake, moto_endpoint))
    warehouse.ensure_tables([EVENT_V2])
    glue = boto3.client("glue", region_name="us-east-1", endpoint_url=moto_endpoint)
    assert glue.get_database(Name=warehouse.database)["Database"]["Name"] == warehouse.database


def test_an_athena_warehouse_needs_the_storage_root_on_s3(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"data_root: warehouse.type athena loads processed files from S3; set data_root"
    ):
        parse_config({"warehouse": {"type": "athena", "athena": {}}}, tmp_path)


def test_an_athena_data_root_other_than_the_etls_is_refused(tmp_path: Path) -> None:
    document = {"data_root": "s3://bkt/lake", "warehouse": {"type": "athena", "athena": {"data_root": "s3://bkt/x"}}}
    with pytest.raises(ConfigError, match=r"the Glue tables must point where the ETL writes"):
        parse_config(document, tmp_path)


def test_clickstream_load_lists_the_s3_data_root_and_registers_its_partitions(
    lake: Lake, moto_endpoint: str, tmp_path: Path
) -> None:
    lake.write_events("in-1", "a", "b")
    address = moto_endpoint.removeprefix("http://")
    document = {
        "home": str(tmp_path),
        "data_root": f"s3://{lake.bucket}/home?endpoint_override={address}&scheme=http&region=us-east-1",
        "warehouse": {"type": "athena", "athena": settings_for(lake, moto_endpoint).model_dump(exclude={"data_root"})},
    }
    config = parse_config(document, tmp_path)
    first, again = run_load(config), run_load(config)
    assert (first.files["event_v2"], first.rows["event_v2"], again.total_files) == (1, 2, 0)
    warehouse = open_warehouse(config)
    assert isinstance(warehouse, AthenaWarehouse)
    assert [values for values, _ in partitions(warehouse, "event_v2")] == [["shop", "2024", "05", "01"]]


def test_a_file_the_etl_deleted_is_forgotten_by_a_tombstone(lake: Lake, warehouse: AthenaWarehouse) -> None:
    gone = lake.write_events("in-1", "a", "b")
    lake.write_events("in-2", "c")
    load(lake, warehouse)
    lake.s3.delete_object(Bucket=lake.bucket, Key=f"home/{gone}")
    result = load(lake, warehouse)
    assert (result.vanished, result.rows_removed, result.total_files) == (1, 2, 0)
    assert sorted(warehouse.ledger()) == [gone.replace("in-1", "in-2")]
    assert load(lake, warehouse).vanished == 0  # forgotten for good


def test_a_lease_that_cannot_be_renewed_through_network_errors_is_given_up(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = S3LeaseLock(lake.s3, lake.bucket, "locks/load.json", lease_seconds=0.6, purpose="a load")
    with lock.hold(0):

        def unreachable(**_: object) -> None:
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://s3.unreachable")

        monkeypatch.setattr(lake.s3, "put_object", unreachable)  # the network to S3 goes away
        time.sleep(1.0)
        with pytest.raises(WarehouseError, match="was lost: taken over by another loader, or not renewed in time"):
            lock.check()  # nothing more is committed under a lease others may already hold


def test_many_ledger_objects_are_folded_into_one_snapshot_that_reads_the_same(
    lake: Lake, warehouse: AthenaWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("clickstream.loader.athena_warehouse.COMPACT_AFTER", 100)
    paths = [lake.write_events(f"in-{n}", f"e{n}") for n in range(4)]
    load(lake, warehouse)
    for path in paths[1:]:  # rewritten with the same bytes: each load adds a ledger object of refreshes
        lake.storage.write_parquet(path, lake.storage.read_parquet(path))
        load(lake, warehouse)
    lake.s3.delete_object(Bucket=lake.bucket, Key=f"home/{paths[0]}")
    load(lake, warehouse)  # a tombstone: now 5 ledger objects
    before = warehouse.ledger()
    assert len(lake.keys("home/_warehouse/_loaded_files/")) == 5
    monkeypatch.setattr("clickstream.loader.athena_warehouse.COMPACT_AFTER", 3)
    with warehouse.load_lock(5):
        compacted = warehouse.ledger()
    objects = lake.keys("home/_warehouse/_loaded_files/")
    assert compacted == before and sorted(compacted) == sorted(paths[1:])
    assert len(objects) == 1 and objects[0].split("/")[-1].startswith("snapshot-")

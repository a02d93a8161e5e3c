"""The local runner: partitioned Parquet per input, each raw file processed once."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from clickstream.contract import EVENT_V2
from clickstream.etl.plugins import PluginSpec
from clickstream.etl.runner import run_etl
from clickstream.storage import Storage
from tests.support.etl import make_job

DAY1, DAY2 = 1_700_000_000_000, 1_700_090_000_000  # 2023-11-14 and 2023-11-15 (UTC)
JOB = make_job(("shop",))


def event(event_id: str, timestamp: int, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"event_id": event_id, "app_id": "shop", "timestamp": timestamp, "event_type": "view_item",
            "unique_id": "u1", "items": items or []}  # fmt: skip


def write_raw(home: Path, name: str, events: list[dict[str, Any]]) -> str:
    record = {"appId": "shop", "data": orjson.dumps(events).decode(), "ingest_time": DAY2, "uri": "/collect?appId=shop"}
    path = f"raw/year=2023/month=11/day=15/hour=01/{name}.jsonl.gz"
    Storage(home).write_bytes(path, gzip.compress(json.dumps(record).encode() + b"\n"))
    return path


def test_rows_are_written_per_table_app_and_day_named_after_the_input(tmp_path: Path) -> None:
    write_raw(tmp_path, "w0-1-000001", [event("a", DAY1), event("b", DAY2)])
    result = run_etl(tmp_path, JOB)
    assert (result.files_processed, result.events, result.users) == (1, 2, 1)
    files = sorted(f.path for f in Storage(tmp_path).list_files("processed/event_v2"))
    assert files == [
        "processed/event_v2/partition_app=shop/partition_year=2023/partition_month=11/partition_day=14/20231115T01-w0-1-000001.parquet",
        "processed/event_v2/partition_app=shop/partition_year=2023/partition_month=11/partition_day=15/20231115T01-w0-1-000001.parquet",
    ]
    assert pq.read_schema(tmp_path / files[0]).names == EVENT_V2.column_names


def test_rows_keep_their_input_order_within_each_day_file_when_days_interleave(tmp_path: Path) -> None:
    events = [event(name, day, [{"id": f"sku-{name}"}]) for name, day in
              (("a", DAY2), ("b", DAY1), ("c", DAY2), ("d", DAY1), ("e", DAY2))]  # fmt: skip
    write_raw(tmp_path, "w0-1-000001", events)
    run_etl(tmp_path, JOB)
    for table in ("event_v2", "item_v2"):
        day1, day2 = sorted(f.path for f in Storage(tmp_path).list_files(f"processed/{table}"))
        assert pq.read_table(tmp_path / day1).column("event_id").to_pylist() == ["b", "d"], table
        assert pq.read_table(tmp_path / day2).column("event_id").to_pylist() == ["a", "c", "e"], table


def test_a_raw_file_is_never_processed_twice(tmp_path: Path) -> None:
    write_raw(tmp_path, "w0-1-000001", [event("a", DAY1)])
    assert run_etl(tmp_path, JOB).files_processed == 1
    again = run_etl(tmp_path, JOB)
    assert (again.files_seen, again.files_processed, again.events) == (0, 0, 0)


def test_only_new_raw_files_are_processed(tmp_path: Path) -> None:
    write_raw(tmp_path, "w0-1-000001", [event("a", DAY1)])
    run_etl(tmp_path, JOB)
    write_raw(tmp_path, "w0-1-000002", [event("b", DAY1)])
    assert run_etl(tmp_path, JOB, workers=2).events == 1


def test_items_without_an_id_are_dropped_and_repeats_removed(tmp_path: Path) -> None:
    items: list[dict[str, Any]] = [
        {"id": "sku-1", "price": 3},
        {"name": "no id"},
        {"item_id": "sku-1", "price": 3},
        {"id": "sku-2"},
    ]
    write_raw(tmp_path, "w0-1-000001", [event("a", DAY1, items)])
    assert run_etl(tmp_path, JOB).items == 2


def test_rejects_are_written_per_reason_with_their_payload(tmp_path: Path) -> None:
    write_raw(tmp_path, "w0-1-000001", [event("a", DAY1), {"event_id": "no-app"}])
    result = run_etl(tmp_path, JOB)
    assert result.rejected_by_reason == {"missing_required_field": 1}
    table = pq.read_table(tmp_path / "rejected/missing_required_field/20231115T01-w0-1-000001.parquet")
    assert orjson.loads(table.column("payload")[0].as_py()) == {"event_id": "no-app"}


def test_a_file_outside_the_hour_layout_is_reported_and_ignored(tmp_path: Path) -> None:
    Storage(tmp_path).write_bytes("raw/manual.jsonl.gz", gzip.compress(b"{}\n"))
    write_raw(tmp_path, "w0-1-000001", [event("a", DAY1)])
    result = run_etl(tmp_path, JOB)
    assert result.ignored_files == ["raw/manual.jsonl.gz"]
    assert (result.files_processed, result.failed_files) == (1, {})


def test_extreme_values_become_nulls_or_rejects_not_crashes(tmp_path: Path) -> None:
    huge = {
        **event("big", DAY1),
        "attributes": {"_session_number": 1e30, "_session_duration": "inf"},
        "zone_offset": 1e40,
    }
    bad_time = {**event("inf-time", DAY1), "timestamp": "inf"}
    negative_time = {**event("negative", DAY1), "timestamp": -1e15}
    record = {"appId": "shop", "data": orjson.dumps([huge, bad_time, negative_time]).decode(),
              "uri": "/collect?appId=shop&event_bundle_sequence_id=inf", "ingest_time": 10**30}  # fmt: skip
    Storage(tmp_path).write_bytes(
        "raw/year=2023/month=11/day=15/hour=01/w0-1-000001.jsonl.gz", gzip.compress(json.dumps(record).encode() + b"\n")
    )
    result = run_etl(tmp_path, JOB)
    assert (result.events, result.rejected_by_reason, result.failed_files) == (1, {"invalid_value": 2}, {})
    [row] = pq.read_table(next((tmp_path / "processed" / "event_v2").rglob("*.parquet"))).to_pylist()
    assert (row["session_number"], row["session_duration"], row["device_time_zone_offset_seconds"]) == (
        None,
        None,
        None,
    )
    assert row["event_bundle_sequence_id"] is None


def test_reprocessing_replaces_an_inputs_outputs_and_removes_ones_it_no_longer_makes(tmp_path: Path) -> None:
    path = write_raw(tmp_path, "w0-1-000001", [event("a", DAY1), event("b", DAY2)])
    run_etl(tmp_path, JOB)
    write_raw(tmp_path, "w0-1-000001", [event("b", DAY2)])  # the day-1 event is gone from the input
    result = run_etl(tmp_path, JOB, reprocess=True)
    assert (result.files_processed, result.events) == (1, 1)
    files = [f.path for f in Storage(tmp_path).list_files("processed/event_v2")]
    assert len(files) == 1 and "partition_day=15" in files[0]
    assert path.endswith("w0-1-000001.jsonl.gz")


def test_the_same_input_gives_the_same_rows_however_it_is_chunked(tmp_path: Path) -> None:
    records = [
        {"appId": "shop", "ingest_time": DAY2, "data": orjson.dumps(
            [event(f"e{r}-{i}", DAY1 + i, [{"id": f"sku-{i % 7}"}]) for i in range(10)]).decode()}
        for r in range(45)
    ]  # fmt: skip
    content = gzip.compress(b"\n".join(orjson.dumps(record) for record in records))
    for home in ("a", "b"):
        Storage(tmp_path / home).write_bytes("raw/year=2023/month=11/day=15/hour=01/w0-1-000001.jsonl.gz", content)
    run_etl(tmp_path / "a", make_job(("shop",), chunk_events=100))
    run_etl(tmp_path / "b", make_job(("shop",), chunk_events=100_000))
    for table in ("event_v2", "item_v2", "user_v2"):
        [a] = Storage(tmp_path / "a").list_files(f"processed/{table}")
        [b] = Storage(tmp_path / "b").list_files(f"processed/{table}")
        assert pq.read_table(tmp_path / "a" / a.path).equals(pq.read_table(tmp_path / "b" / b.path)), table


def test_a_plugin_configured_with_options_runs_in_every_worker(tmp_path: Path) -> None:
    for name, ip in (("w0-1-000001", "203.0.113.9"), ("w0-1-000002", "198.51.100.7")):
        record = {"appId": "shop", "ip": ip, "ingest_time": DAY2, "data": orjson.dumps([event(name, DAY1)]).decode()}
        path = f"raw/year=2023/month=11/day=15/hour=01/{name}.jsonl.gz"
        Storage(tmp_path).write_bytes(path, gzip.compress(orjson.dumps(record) + b"\n"))
    job = make_job(("shop",), plugins=[PluginSpec("internal_traffic", {"networks": ["203.0.113.0/24"]})])
    result = run_etl(tmp_path, job, workers=2)
    assert (result.files_processed, result.events, result.rejected_by_reason) == (2, 1, {"internal_traffic": 1})


def test_a_reject_larger_than_its_warehouse_column_is_cut_to_fit(tmp_path: Path) -> None:
    huge = b'{"appId": "shop", "data": "' + "é".encode() * 40_000 + b"\n"  # 80 kB, not JSON: one reject
    Storage(tmp_path).write_bytes("raw/year=2024/month=05/day=01/hour=12/w0-1-000001.jsonl.gz", gzip.compress(huge))
    run_etl(tmp_path, make_job(), workers=1)
    [stored] = Storage(tmp_path).list_files("rejected")
    payload = pq.read_table(tmp_path / stored.path).column("payload")[0].as_py()
    assert 65_534 <= len(payload.encode()) <= 65_535  # as much as fits...
    assert payload.startswith('{"appId": "shop"') and payload.endswith("é")  # ...cut between characters

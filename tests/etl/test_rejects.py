"""Bad input is kept with a reason code, never silently dropped."""

from __future__ import annotations

import json

import orjson
import pytest

from clickstream.etl.process import InputOutput, process_content
from tests.support.data import seed_file
from tests.support.etl import make_job

JOB = make_job(freshness_hours=None)


def run_lines(*lines: bytes) -> InputOutput:
    return process_content(b"\n".join(lines), "raw/x.jsonl.gz", "x", JOB)


def run_fixture(fixture: str, source_file: str = "raw/x.jsonl.gz") -> InputOutput:
    return process_content(seed_file(fixture).read_bytes(), source_file, "x", JOB)


@pytest.mark.parametrize(
    ("fixture", "reasons"),
    [
        ("original_data_null.json", ["decode_error", "decode_error"]),
        ("original_data_raw_json_error.json", ["corrupt_json"]),
        ("original_data_raw_text_error.json", ["decode_error"]),
    ],
)
def test_the_original_corrupt_fixtures_become_rejects_with_reasons(fixture: str, reasons: list[str]) -> None:
    output = run_fixture(fixture)
    assert output.events.num_rows == 0
    assert [reject["reason"] for reject in output.rejects] == reasons
    assert all(reject["payload"] for reject in output.rejects)


def test_a_record_whose_data_is_not_base64_gzip_is_one_decode_error_reject() -> None:
    output = run_fixture("original_data_with_error.json")
    assert (output.records, output.events.num_rows) == (1, 0)
    assert [(r["reason"], r["detail"]) for r in output.rejects] == [
        ("decode_error", "data: the body is neither JSON nor base64 of gzip")
    ]


def test_every_event_becomes_a_row_or_a_reject() -> None:
    good = {"event_id": "e1", "app_id": "shop", "timestamp": 1, "event_type": "e", "unique_id": "u"}
    events = [good, {**good, "event_id": "e2"}, {"event_id": "e3"}, "not an object", {**good, "app_id": "x"}]
    output = run_lines(orjson.dumps({"appId": "shop", "data": orjson.dumps(events).decode()}))
    assert output.events.num_rows + len(output.rejects) == len(events)
    assert sorted(r["reason"] for r in output.rejects) == ["corrupt_json", "missing_required_field", "unknown_app"]


def test_an_event_without_an_id_is_rejected_as_missing_required_field() -> None:
    record = {
        "appId": "shop",
        "data": orjson.dumps([{"app_id": "shop", "timestamp": 1, "event_type": "e", "unique_id": "u"}]).decode(),
    }
    output = run_lines(orjson.dumps(record))
    assert [(r["reason"], r["detail"], r["event_index"]) for r in output.rejects] == [
        ("missing_required_field", "event has no event_id", 0)
    ]


def test_an_event_of_an_unconfigured_app_is_rejected_not_dropped() -> None:
    event = {"event_id": "e1", "app_id": "other", "timestamp": 1, "event_type": "e", "unique_id": "u"}
    output = run_lines(orjson.dumps({"appId": "other", "data": orjson.dumps([event]).decode()}))
    assert [r["reason"] for r in output.rejects] == ["unknown_app"]
    assert orjson.loads(output.rejects[0]["payload"]) == event


def test_a_line_that_is_not_json_is_rejected_as_corrupt_json() -> None:
    output = run_lines(b"{broken")
    assert [(r["reason"], r["record_index"], r["payload"]) for r in output.rejects] == [("corrupt_json", 0, "{broken")]


def test_good_events_in_a_record_survive_a_bad_neighbour() -> None:
    good = {"event_id": "e1", "app_id": "shop", "timestamp": 1, "event_type": "e", "unique_id": "u"}
    output = run_lines(orjson.dumps({"appId": "shop", "data": orjson.dumps([good, {"event_id": "e2"}]).decode()}))
    assert output.events.column("event_id").to_pylist() == ["e1"]
    assert [r["event_index"] for r in output.rejects] == [1]


def test_a_reject_names_its_source_file_line_and_request_id() -> None:
    output = run_fixture("original_data_raw_text_error.json", "raw/a.jsonl.gz")
    [reject] = output.rejects
    assert (reject["source_file"], reject["record_index"], reject["event_index"]) == ("raw/a.jsonl.gz", 0, -1)
    assert reject["rid"] == "07157da84281bb7234ba6f8613df7d32"
    assert (reject["app_id"], reject["ingest_time_msec"]) == ("uba-app", 1682315697838)


def test_a_rejected_event_nested_deeper_than_orjson_writes_is_kept_with_its_payload() -> None:
    nested: object = 1
    for _ in range(300):
        nested = [nested]
    event = {"event_id": "e", "app_id": "stranger", "timestamp": 1, "event_type": "x", "unique_id": "u",
             "attributes": {"deep": nested}}  # fmt: skip
    line = orjson.dumps({"appId": "shop", "data": json.dumps([event])})
    [reject] = run_lines(line).rejects
    assert reject["reason"] == "unknown_app"
    assert reject["payload"].startswith('{"event_id":"e"')

"""Rows do not depend on the process that made them (Spark workers and pool workers hash strings differently)."""

from __future__ import annotations

import orjson

from clickstream.etl.process import process_content
from tests.support.etl import make_job


def test_custom_parameters_keep_the_order_of_the_payloads_attributes() -> None:
    names = [f"param_{letter}" for letter in "zyxwvutsrqponmlkjihg"]  # 20 keys: a hash order would show
    event = {"event_id": "e1", "app_id": "shop", "timestamp": 1_700_000_000_000, "event_type": "purchase",
             "unique_id": "u1", "attributes": {name: index for index, name in enumerate(names)}}  # fmt: skip
    record = {"appId": "shop", "ingest_time": 1_700_000_000_000, "data": orjson.dumps([event]).decode()}
    output = process_content(orjson.dumps(record), "raw.jsonl", "test", make_job(("shop",), freshness_hours=None))
    [row] = output.events.to_pylist()
    assert [key for key, _ in row["custom_parameters"]] == names
    assert list(orjson.loads(row["custom_parameters_json_str"])) == names

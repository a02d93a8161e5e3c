"""Fuzz target ``etl-event-transform``: SDK events with hostile values through the ETL's transform.

Events look like the SDKs' (the fields the transform reads, in the places it reads them) but hold what a
hostile or broken client can send: control characters, huge and float-looking numbers, NaN- and
infinity-like text, long strings, deep objects, wrong types. Each record goes through
:func:`clickstream.etl.process.process_content` (decode, transform, Arrow conversion, users) as one raw line. The
check: every event becomes a row or a reject with a known reason, never an exception; rows hold no
rejected control character in a name or an id, and every ``*_json_str`` twin is JSON that fits its column
and holds what its map holds.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import strategies as st

from clickstream.contract import RejectReason
from clickstream.etl.process import process_content
from clickstream.etl.values import VALUE_MAX_BYTES
from tests.support.etl import make_job
from tests.support.fuzzing import FuzzTarget, plain_harness

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
REASONS = {str(reason) for reason in RejectReason}
TWIN_BYTES = 65535
APP = "shop"
# Text the transform must survive: control characters, JSON's escapes, multi-byte characters; no lone
# surrogates, which no JSON reader lets through.
HOSTILE_CHARACTERS = st.characters(codec="utf-8") | st.sampled_from('\x00\x01\t\n\r\x1b\x1f\x7f"\\/é€😀\u2028')
short_text = st.text(HOSTILE_CHARACTERS, max_size=24)
long_text = st.builds(lambda piece, count: piece * count, st.text(HOSTILE_CHARACTERS, min_size=1, max_size=3),
                      st.integers(1000, 30_000))  # fmt: skip
number_like = st.sampled_from(["NaN", "nan", "inf", "-Infinity", "1e400", "-1e400", "0x10", "1_000", "9" * 40, "-0"])
numbers = (
    st.integers(-(2**63), 2**64 - 1) | st.integers(-(10**30), 10**30) | st.floats(allow_nan=False, allow_infinity=False)
)
scalars = st.none() | st.booleans() | numbers | short_text | number_like
json_values = st.recursive(
    scalars | long_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(short_text, children, max_size=4),
    max_leaves=10,
)
# Nesting near orjson's writing limit (254 levels): events nested deeper than it allows are not fuzzed, as the
# reject path writes the event with orjson (etl/batch.py, reported).
deep_values = st.builds(lambda depth, leaf: _nest(depth, leaf), st.integers(200, 250), scalars)
any_value = json_values | deep_values


def mostly(usual: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` about three times in four: events must mostly get past the required fields to reach the rest."""
    return st.integers(0, 3).flatmap(lambda draw: hostile if draw == 0 else usual)


names = st.sampled_from(["plan", "_session_id", "price", "note", "_user_id"]) | short_text
plain_ids = st.text(st.sampled_from("abc-123"), min_size=1, max_size=8)
ids = mostly(plain_ids, short_text | numbers | any_value)
timestamps = mostly(st.integers(1_690_000_000_000, 1_700_000_000_000), numbers | number_like | any_value)
known_attributes = st.fixed_dictionaries(
    {},
    optional={
        "_session_id": ids,
        "_session_start_timestamp": timestamps,
        "_page_url": st.sampled_from(["https://shop.example/p?utm_source=google&utm_medium=cpc", "http://[::1", "%%"])
        | short_text,
        "_page_referrer": short_text | long_text,
        "_page_title": short_text | long_text,
        "_utm_source": any_value,
        "_traffic_source_medium": any_value,
        "_value": numbers | number_like,
        "_entrances": any_value,
    },
)
attributes = st.builds(lambda known, custom: {**known, **custom}, known_attributes,
                       st.dictionaries(names, any_value, max_size=6))  # fmt: skip
user_entries = st.fixed_dictionaries({"value": any_value}, optional={"set_timestamp": timestamps}) | any_value
users = st.dictionaries(names, user_entries, max_size=5)
items = st.lists(
    st.builds(
        lambda item_id, fields: {"id": item_id, **fields},
        ids,
        st.dictionaries(st.sampled_from(["item_id", "name", "price", "quantity"]) | names, any_value, max_size=4),
    ),
    max_size=3,
)
events = st.fixed_dictionaries(
    {
        "event_id": ids,
        "app_id": mostly(st.just(APP), ids),
        "timestamp": timestamps,
        "event_type": mostly(st.sampled_from(["_page_view", "_profile_set", "_first_open", "add_to_cart"]), short_text),
        "unique_id": ids,
    },
    optional={
        "attributes": mostly(attributes, any_value),
        "user": mostly(users, any_value),
        "items": mostly(items, any_value),
        "platform": short_text | any_value,
        "zone_offset": numbers | number_like,
        "event_value": numbers | number_like | any_value,
        "screen_width": numbers | number_like,
        "custom_top_level": any_value,
    },
)
requests = st.lists(mostly(events, any_value), min_size=1, max_size=5)


def _nest(depth: int, leaf: Any) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def check_output(sent: list[Any]) -> None:
    """Run one request of ``sent`` events through the ETL and check what came out (raises on a finding)."""
    record = {"appId": APP, "ingest_time": 1_700_000_000_000, "data": json.dumps(sent)}
    output = process_content(json.dumps(record).encode(), "raw/fuzz", "fuzz", JOB)
    assert output.events.num_rows + len(output.rejects) == len(sent), "an event was neither a row nor a reject"
    for reject in output.rejects:
        assert reject["reason"] in REASONS, reject["reason"]
    for row in output.events.to_pylist():
        for column in ("event_name", "event_id", "user_pseudo_id", "app_id", "session_id", "user_id"):
            value = row[column]
            assert value is None or not CONTROL.search(value), (column, value)
        _check_twin(row["custom_parameters"], row["custom_parameters_json_str"])
    for item in output.items.to_pylist():
        assert not CONTROL.search(item["item_id"]), item["item_id"]
        _check_twin(item["custom_parameters"], item["custom_parameters_json_str"])
    for user in output.users.to_pylist():
        _check_twin(user["user_properties"], user["user_properties_json_str"])


def _check_twin(mapped: list[tuple[str, dict[str, Any]]] | None, twin: str | None) -> None:
    if mapped is None:
        assert twin is None
        return
    assert twin is not None and len(twin.encode()) <= TWIN_BYTES, "the JSON twin does not fit its column"
    parsed = json.loads(twin)  # raises on a twin that is not JSON
    assert list(parsed) == [name for name, _ in mapped] or set(parsed) == {name for name, _ in mapped}
    for name, entry in mapped:
        assert not CONTROL.search(name), name
        value = entry["value"]
        assert value is None or len(value.encode()) <= VALUE_MAX_BYTES, (name, len(value.encode()))
        sent = parsed[name]
        if isinstance(sent, dict) and "set_time_msec" in sent and "type" in entry and "set_time_msec" in entry:
            sent = sent["value"]  # user properties: {value, set_time_msec}
        if sent is None or isinstance(sent, str):
            assert value == sent, (name, value, sent)


JOB = make_job((APP,), freshness_hours=None)
TARGETS: list[FuzzTarget] = [FuzzTarget("etl-event-transform", requests, plain_harness(check_output))]

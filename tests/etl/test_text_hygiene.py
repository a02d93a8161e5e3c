"""Hostile text in SDK events (issue 20): control characters in names and ids are rejected with
``invalid_value``; custom parameter and user attribute values are cut to one limit, alike in the map and
in its ``*_json_str`` twin, which stays valid JSON.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clickstream.etl.process import InputOutput, process_content
from clickstream.etl.values import VALUE_MAX_BYTES
from tests.support.etl import make_job

JOB = make_job(("shop",), freshness_hours=None)
# The control characters the rule rejects: C0 but tab and newline, and DEL.
REJECTED = [chr(code) for code in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F)]


def event(**fields: Any) -> dict[str, Any]:
    base = {"event_id": "e1", "app_id": "shop", "timestamp": 1_700_000_000_000, "event_type": "_page_view",
            "unique_id": "u1", "attributes": {"_session_id": "s1"}}  # fmt: skip
    base.update(fields)
    return base


def run(*events: dict[str, Any], job: Any = JOB) -> InputOutput:
    # The standard encoder, as orjson writes no more than 254 levels of nesting.
    record = {"appId": "shop", "ingest_time": 1_700_000_000_000, "data": json.dumps(list(events))}
    return process_content(orjson.dumps(record), "raw/f", "f", job)


def reasons(output: InputOutput) -> list[str]:
    return [reject["reason"] for reject in output.rejects]


def test_a_nul_in_the_event_name_rejects_the_event_as_invalid_value() -> None:
    output = run(event(event_type="_page\x00view"))
    assert output.events.num_rows == 0
    assert reasons(output) == ["invalid_value"]
    assert orjson.loads(output.rejects[0]["payload"])["event_type"] == "_page\x00view"  # kept as sent


def test_a_del_in_a_custom_parameter_name_rejects_the_event_as_invalid_value() -> None:
    output = run(event(attributes={"_session_id": "s1", "plan\x7f": "gold"}))
    assert (output.events.num_rows, reasons(output)) == (0, ["invalid_value"])


@pytest.mark.parametrize(
    "where",
    ["event_id", "unique_id", "app_id", "session_id", "user_id", "user_attribute_name", "item_attribute_name"],
)
@given(control=st.sampled_from(REJECTED))
@settings(max_examples=10, deadline=None)
def test_a_control_character_in_an_id_or_a_name_rejects_the_event(where: str, control: str) -> None:
    bad = f"x{control}y"
    sent = {
        "event_id": event(event_id=bad),
        "unique_id": event(unique_id=bad),
        "app_id": event(app_id=bad),
        "session_id": event(attributes={"_session_id": bad}),
        "user_id": event(user={"_user_id": {"value": bad, "set_timestamp": 1}}),
        "user_attribute_name": event(user={bad: {"value": "v", "set_timestamp": 1}}),
        "item_attribute_name": event(items=[{"id": "i1", bad: "v"}]),
    }[where]
    output = run(sent, event(event_id="e2"))
    assert output.events.column("event_id").to_pylist() == ["e2"]  # the neighbour is not affected
    assert reasons(output) == ["invalid_value"]


@pytest.mark.parametrize("where", ["event_id", "session_id", "user_id", "item_id"])
def test_an_id_sent_as_an_object_is_checked_as_its_text(where: str) -> None:
    bad = {"\x7f": None}  # JSON text leaves DEL unescaped: the id's text would hold it
    sent = {
        "event_id": event(event_id=bad),
        "session_id": event(attributes={"_session_id": bad}),
        "user_id": event(user={"_user_id": {"value": bad}}),
        "item_id": event(items=[{"id": bad}]),
    }[where]
    assert reasons(run(sent)) == ["invalid_value"]


def test_tab_and_newline_are_kept_in_names_and_values() -> None:
    output = run(event(event_type="multi\tline\nname", attributes={"note\t1": "first\tline\nsecond line"}))
    [row] = output.events.to_pylist()
    assert row["event_name"] == "multi\tline\nname"
    assert dict(row["custom_parameters"])["note\t1"]["value"] == "first\tline\nsecond line"
    assert json.loads(row["custom_parameters_json_str"]) == {"note\t1": "first\tline\nsecond line"}


def test_an_over_long_custom_parameter_value_is_cut_alike_in_the_map_and_the_json_twin() -> None:
    long = "é" * VALUE_MAX_BYTES  # twice the limit in bytes
    [row] = run(event(attributes={"_session_id": "s1", "bio": long, "short": "ok"})).events.to_pylist()
    mapped = {name: entry["value"] for name, entry in row["custom_parameters"]}
    twin = json.loads(row["custom_parameters_json_str"])
    assert mapped["bio"] == twin["bio"] == "é" * (VALUE_MAX_BYTES // 2)
    assert mapped["short"] == twin["short"] == "ok"


def test_an_over_long_user_attribute_value_is_cut_alike_in_the_map_and_the_json_twin() -> None:
    long = "ü" * VALUE_MAX_BYTES
    output = run(event(event_type="_profile_set", user={"bio": {"value": long, "set_timestamp": 5}}))
    [user] = output.users.to_pylist()
    mapped = dict(user["user_properties"])["bio"]
    twin = json.loads(user["user_properties_json_str"])["bio"]
    assert mapped["value"] == twin["value"] == "ü" * (VALUE_MAX_BYTES // 2)
    assert (mapped["set_time_msec"], twin["set_time_msec"]) == (5, 5)


def test_an_over_long_object_value_becomes_its_text_cut_to_the_limit() -> None:
    nested = {"list": ["x" * 100] * 100}
    [row] = run(event(attributes={"_session_id": "s1", "cart": nested})).events.to_pylist()
    entry = dict(row["custom_parameters"])["cart"]
    assert entry == {"value": orjson.dumps(nested).decode()[:VALUE_MAX_BYTES], "type": "string"}
    assert json.loads(row["custom_parameters_json_str"])["cart"] == entry["value"]


def test_custom_parameters_that_together_pass_the_column_size_are_cut_further_to_fit() -> None:
    attributes = {f"p{index}": "v" * VALUE_MAX_BYTES for index in range(40)}  # 160 kB in all
    [row] = run(event(attributes=attributes)).events.to_pylist()
    twin = row["custom_parameters_json_str"]
    assert len(twin.encode()) <= 65535
    parsed = json.loads(twin)
    assert set(parsed) == set(attributes)
    assert {name: entry["value"] for name, entry in row["custom_parameters"]} == parsed


def test_values_are_kept_whole_when_truncation_is_off() -> None:
    long = "x" * (VALUE_MAX_BYTES + 10)
    job = make_job(("shop",), freshness_hours=None, truncate_strings=False)
    [row] = run(event(attributes={"bio": long}), job=job).events.to_pylist()
    assert dict(row["custom_parameters"])["bio"]["value"] == long
    assert json.loads(row["custom_parameters_json_str"])["bio"] == long


def test_a_value_nested_deeper_than_the_json_writer_allows_is_kept_as_its_text() -> None:
    deep: Any = "bottom"
    for _ in range(300):
        deep = [deep]
    [row] = run(event(attributes={"_session_id": "s1", "deep": deep})).events.to_pylist()
    value = dict(row["custom_parameters"])["deep"]["value"]
    assert value == "[" * 300 + '"bottom"' + "]" * 300
    assert json.loads(row["custom_parameters_json_str"])["deep"] == value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=40)
    | st.text(st.sampled_from('"\\\x00\t\n\x1f\x7fé€😀'), min_size=VALUE_MAX_BYTES - 8, max_size=VALUE_MAX_BYTES + 8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)  # fmt: skip


@given(values=st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), json_values, max_size=6))
@settings(max_examples=80, deadline=None)
def test_the_json_twin_always_parses_and_equals_the_map(values: dict[str, Any]) -> None:
    [row] = run(event(attributes=values)).events.to_pylist()
    if not values:
        assert row["custom_parameters_json_str"] is None
        return
    twin = json.loads(row["custom_parameters_json_str"])
    assert set(twin) == set(values)
    for name, entry in row["custom_parameters"]:
        value, sent = entry["value"], twin[name]
        assert value is None or len(value.encode()) <= VALUE_MAX_BYTES
        if sent is None or isinstance(sent, str):
            assert value == sent, name
        elif isinstance(sent, bool):
            assert value == ("true" if sent else "false"), name
        else:  # numbers, objects and arrays: the map holds their text
            assert json.loads(value) == sent, name

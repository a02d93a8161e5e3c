"""The plugin chain: found by entry-point name, run on Arrow chunks, rejects kept, failures contained."""

from __future__ import annotations

import orjson
import pyarrow as pa
import pytest

from clickstream.errors import ConfigError
from clickstream.etl.examples.internal_traffic import InternalTrafficFilter
from clickstream.etl.plugins import EventPlugin, PluginSpec, load_plugins
from clickstream.etl.process import process_content
from tests.support.etl import make_job

EVENT = {"event_id": "e1", "app_id": "shop", "timestamp": 1_700_000_000_000, "event_type": "_page_view",
         "unique_id": "u1", "items": [{"id": "sku-1"}]}  # fmt: skip


def raw(ip: str, *events: dict[str, object]) -> bytes:
    record = {"appId": "shop", "ip": ip, "rid": f"r-{ip}", "ingest_time": 1_700_000_000_000,
              "data": orjson.dumps(list(events) or [EVENT]).decode()}  # fmt: skip
    return orjson.dumps(record)


def test_the_example_plugin_is_found_by_its_entry_point_name() -> None:
    [plugin] = load_plugins([PluginSpec("internal_traffic", {"networks": ["10.0.0.0/8"]})])
    assert isinstance(plugin, InternalTrafficFilter)


def test_an_unknown_plugin_name_is_a_config_error_listing_the_installed_ones() -> None:
    with pytest.raises(ConfigError, match=r"etl.plugins\[0\].name: no ETL plugin named 'nope'.*internal_traffic"):
        load_plugins([PluginSpec("nope")])


def test_bad_plugin_options_are_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"etl.plugins\[0\].options"):
        load_plugins([PluginSpec("internal_traffic", {"wrong": 1})])


def test_rows_a_plugin_rejects_go_to_rejected_with_their_payload_and_items() -> None:
    plugins = load_plugins([PluginSpec("internal_traffic", {"networks": ["10.0.0.0/8"]})])
    content = raw("10.1.2.3") + b"\n" + raw("8.8.8.8", {**EVENT, "event_id": "e2"})
    output = process_content(content, "raw/f", "f", make_job(("shop",), freshness_hours=None), plugins)
    assert output.events.column("event_id").to_pylist() == ["e2"]
    assert output.items.column("event_id").to_pylist() == ["e2"]
    [reject] = output.rejects
    assert (reject["reason"], reject["rid"], reject["record_index"], reject["event_index"]) == (
        "internal_traffic",
        "r-10.1.2.3",
        0,
        0,
    )
    assert orjson.loads(reject["payload"]) == EVENT


class Exploding:
    name = "exploding"

    def process(self, events: pa.Table) -> pa.Table:
        raise RuntimeError("boom")


class DropsAColumn:
    name = "drops"

    def process(self, events: pa.Table) -> pa.Table:
        return events.drop_columns(["event_name"])


@pytest.mark.parametrize(("plugin", "detail"), [(Exploding(), "RuntimeError: boom"), (DropsAColumn(), "dropped")])
def test_a_failing_plugin_rejects_its_chunk_with_plugin_error(plugin: EventPlugin, detail: str) -> None:
    output = process_content(raw("8.8.8.8"), "raw/f", "f", make_job(("shop",), freshness_hours=None), [plugin])
    assert output.events.num_rows == 0
    [reject] = output.rejects
    assert reject["reason"] == "plugin_error" and detail in reject["detail"]


def test_plugin_rejects_keep_the_input_order_when_a_chunk_spans_days() -> None:
    plugins = load_plugins([PluginSpec("internal_traffic", {"networks": ["10.0.0.0/8"]})])
    day = 86_400_000
    late, early = {**EVENT, "event_id": "late", "timestamp": 1_700_000_000_000 + day}, {**EVENT, "event_id": "early"}
    content = raw("10.1.2.3", late) + b"\n" + raw("10.1.2.4", early)
    output = process_content(content, "raw/f", "f", make_job(("shop",), freshness_hours=None), plugins)
    assert [(reject["record_index"], orjson.loads(reject["payload"])["event_id"]) for reject in output.rejects] == [
        (0, "late"),
        (1, "early"),
    ]

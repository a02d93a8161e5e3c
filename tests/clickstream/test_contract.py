"""The data-model contract: parity with the original's columns, and one definition used everywhere."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from clickstream.contract import (
    EVENT_V2,
    ITEM_V2,
    PROCESSED_TABLES,
    RAW_RECORD_FIELDS,
    USER_V2,
    Table,
    input_id,
    processed_file,
    raw_partition,
    raw_record,
    rows_to_arrow,
)
from clickstream.modeling.sources import GENERATED
from tests.support.paths import REPO, SHARED_REFERENCE

SPEC = SHARED_REFERENCE / "seed-system.md"


def spec_columns(table: str) -> list[tuple[str, str]]:
    """(column, Redshift type) rows of a table in the reference's section 3.5."""
    text = SPEC.read_text()
    section = text.split(f"#### `{table}`", 1)[1].split("####", 1)[0]
    rows = re.findall(r"^\| (\w+) \| ([^|]+?) \|", section, flags=re.MULTILINE)
    return [(name, kind.lower().replace(" not null", "")) for name, kind in rows if name != "Column"]


@pytest.mark.skipif(not SPEC.exists(), reason="the reference spec (../shared/reference) is not beside this checkout")
@pytest.mark.parametrize("table", [EVENT_V2, ITEM_V2, USER_V2], ids=lambda t: t.name)
def test_columns_and_types_match_the_original_data_model(table: Table) -> None:
    ours = [(c.name, c.redshift_type) for c in table.columns if c.name != "app_id" or table is EVENT_V2]
    assert ours == spec_columns(table.name)


def test_every_table_keeps_app_id_because_one_warehouse_holds_many_apps() -> None:
    for table in PROCESSED_TABLES.values():
        assert table.column("app_id").nullable is False


def test_super_columns_are_parquet_maps_that_duckdb_reads_as_maps(tmp_path: Path) -> None:
    row = {
        "event_timestamp": datetime(2024, 5, 1, 12, tzinfo=UTC),
        "event_id": "e1",
        "event_time_msec": 1714564800000,
        "event_name": "_page_view",
        "project_id": "p",
        "app_id": "shop",
        "user_pseudo_id": "u1",
        "custom_parameters": {"color": {"value": "red", "type": "string"}},
        "page_view_page_url_query_parameters": {"q": "boots"},
    }
    path = tmp_path / "e.parquet"
    pq.write_table(rows_to_arrow(EVENT_V2, [row]), path)
    read = (
        duckdb.connect()
        .execute(f"select custom_parameters['color'].value, page_view_page_url_query_parameters['q'] from '{path}'")
        .fetchone()
    )
    assert read == ("red", "boots")


@pytest.mark.parametrize("relative", sorted(GENERATED), ids=str)
def test_the_dbt_sources_and_column_macro_are_generated_from_the_contract(relative: Path) -> None:
    checked_in = (REPO / "dbt_project" / relative).read_text()
    assert checked_in == GENERATED[relative](), "run: python -m clickstream.modeling.sources"


def test_raw_files_live_in_hour_folders_and_have_a_stable_input_id() -> None:
    folder = raw_partition(datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    assert str(folder) == "raw/year=2026/month=01/day=02/hour=03"
    assert input_id(f"{folder}/w0-1700000000000-000001.jsonl.gz") == "20260102T03-w0-1700000000000-000001"


def test_processed_files_use_the_original_partition_names() -> None:
    path = processed_file("event_v2", "shop", date(2026, 1, 2), "some-input")
    assert str(path) == (
        "processed/event_v2/partition_app=shop/partition_year=2026/partition_month=01/partition_day=02/some-input.parquet"
    )


def test_a_raw_record_has_the_original_fields_in_order() -> None:
    query = {"appId": "a", "upload_timestamp": "12"}
    record = raw_record(data="[]", uri="/collect?appId=a&upload_timestamp=12", query=query, method="POST",
                        ip="203.0.113.1", user_agent="ua", request_id="r", now_ms=1_700_000_000_000)  # fmt: skip
    assert tuple(record) == RAW_RECORD_FIELDS
    assert (record["date"], record["client_timestamp"], record["ingest_time"]) == (
        "2023-11-14T22:13:20.000Z",
        12,
        1_700_000_000_000,
    )

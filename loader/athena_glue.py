"""Glue table definitions for the Athena warehouse: the contract's tables as Parquet tables, the ledger as JSON.

Processed tables keep the original's partition keys (``partition_app``, ``partition_year``,
``partition_month``, ``partition_day``, all strings) and the folders the ETL writes them in. The
``rejected`` table's folders are ``rejected/<reason>/`` without ``key=`` names, so it is partitioned by
``partition_reason`` with each partition's location given explicitly (a Glue partition may point at
any folder). The ledger and the run history are JSON-lines files, one per load, read through the
OpenX JSON SerDe that Athena ships.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from clickstream.contract import REJECTED, Table

PROCESSED_PARTITION_KEYS = ("partition_app", "partition_year", "partition_month", "partition_day")
REJECTED_PARTITION_KEYS = ("partition_reason",)

_PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
_JSON_LINES = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
}

LEDGER_GLUE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("path", "string"),
    ("table_name", "string"),
    ("size_bytes", "bigint"),
    ("modified_ns", "bigint"),
    ("sha256", "string"),
    ("row_count", "bigint"),
    ("load_id", "string"),
    ("loaded_at", "timestamp"),
    ("removed", "boolean"),  # true on a tombstone: the file was deleted and its rows went with it
)
RUN_HISTORY_GLUE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "string"),
    ("stage", "string"),
    ("started_at", "timestamp"),
    ("ended_at", "timestamp"),
    ("status", "string"),
    ("count_in", "bigint"),
    ("count_out", "bigint"),
    ("detail", "string"),
)


def hive_type(arrow_type: pa.DataType) -> str:
    """The Glue (Hive) type Athena reads a Parquet column of ``arrow_type`` as."""
    simple = {
        pa.string(): "string",
        pa.int64(): "bigint",
        pa.int32(): "int",
        pa.float64(): "double",
        pa.bool_(): "boolean",
        pa.date32(): "date",
    }
    if arrow_type in simple:
        return simple[arrow_type]
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_map(arrow_type):
        return f"map<{hive_type(arrow_type.key_type)},{hive_type(arrow_type.item_type)}>"
    if pa.types.is_struct(arrow_type):
        fields = ",".join(f"{field.name}:{hive_type(field.type)}" for field in arrow_type)
        return f"struct<{fields}>"
    raise ValueError(f"no Glue type for the Arrow type {arrow_type}")


def partition_keys(table: Table) -> tuple[str, ...]:
    return REJECTED_PARTITION_KEYS if table is REJECTED else PROCESSED_PARTITION_KEYS


def data_table_input(table: Table, location: str) -> dict[str, Any]:
    """The Glue ``TableInput`` of a contract table over its Parquet folder."""
    columns = [
        {"Name": column.name, "Type": hive_type(column.arrow_type), "Comment": column.description[:255]}
        for column in table.columns
    ]
    return {
        "Name": table.name,
        "Description": table.description[:2048],
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE", "parquet.compression": "SNAPPY"},
        "PartitionKeys": [{"Name": key, "Type": "string"} for key in partition_keys(table)],
        "StorageDescriptor": {"Columns": columns, "Location": location, **_PARQUET},
    }


def json_table_input(name: str, columns: Sequence[tuple[str, str]], location: str, description: str) -> dict[str, Any]:
    """The Glue ``TableInput`` of a folder of JSON-lines files (ledger, run history)."""
    return {
        "Name": name,
        "Description": description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "json", "EXTERNAL": "TRUE"},
        "PartitionKeys": [],
        "StorageDescriptor": {
            "Columns": [{"Name": column, "Type": kind} for column, kind in columns],
            "Location": location,
            **_JSON_LINES,
        },
    }


def partition_input(table_input: dict[str, Any], values: Sequence[str], location: str) -> dict[str, Any]:
    """A ``PartitionInput``: the table's storage with the partition's own location."""
    storage = dict(table_input["StorageDescriptor"])
    storage["Location"] = location
    return {"Values": list(values), "StorageDescriptor": storage}

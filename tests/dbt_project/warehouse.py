"""Helpers for dbt tests: put rows into the warehouse tables the loader creates, and query the result."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from clickstream.config import Config
from clickstream.contract import PROCESSED_TABLES, REJECTED
from clickstream.loader.duckdb_warehouse import DuckDBWarehouse


def load_tables(config: Config, tables: dict[str, pa.Table | list[dict[str, Any]]]) -> None:
    """Insert Arrow tables (or rows) into ``ods``, as one ETL cycle's load would; tables are created first."""
    warehouse = DuckDBWarehouse(config.warehouse_path, config.warehouse.schema_name)
    with warehouse.connect() as connection:
        warehouse.ensure_tables([*PROCESSED_TABLES.values(), REJECTED])
        for name, rows in tables.items():
            schema = PROCESSED_TABLES[name].schema
            batch = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=schema)
            if batch.num_rows:
                connection.execute(f"insert into {warehouse.qualified(name)} by name select * from batch")


def query(config: Config, sql: str) -> list[tuple[Any, ...]]:
    # dbt-duckdb keeps its own connection open in this process: open ours with the same (default) settings
    with duckdb.connect(str(config.warehouse_path)) as connection:
        return connection.execute(sql).fetchall()


def query_dicts(config: Config, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(config.warehouse_path)) as connection:
        cursor = connection.execute(sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

"""The configured warehouse, by ``warehouse.type``."""

from __future__ import annotations

from clickstream.config import Config
from loader.duckdb_warehouse import DuckDBWarehouse
from loader.warehouse import Warehouse


def open_warehouse(config: Config) -> Warehouse:
    """A warehouse object for ``config``; connections open on first use and close with ``close()``."""
    return DuckDBWarehouse(config.warehouse_path, config.warehouse.schema_name)

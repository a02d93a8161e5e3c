"""The configured warehouse, by ``warehouse.type``."""

from __future__ import annotations

from clickstream.config import Config
from clickstream.loader.warehouse import Warehouse
from clickstream.storage import Storage


def open_warehouse(config: Config) -> Warehouse:
    """A warehouse object for ``config``; connections open on first use and close with ``close()``.

    The AWS engines are imported only when chosen, so a DuckDB setup never loads their clients.
    """
    settings = config.warehouse
    if settings.type == "redshift":
        from clickstream.loader.redshift_warehouse import RedshiftWarehouse

        assert settings.redshift is not None  # the config requires the section for this type
        lock_path = config.home / f".redshift-{settings.schema_name}.load.lock"
        return RedshiftWarehouse(settings.redshift, settings.schema_name, lock_path)
    if settings.type == "athena":
        from clickstream.loader.athena_warehouse import AthenaWarehouse

        assert settings.athena is not None
        return AthenaWarehouse(settings.athena.model_copy(update={"data_root": config.storage_uri}))
    from clickstream.loader.duckdb_warehouse import DuckDBWarehouse

    return DuckDBWarehouse(config.warehouse_path, settings.schema_name, Storage(config.storage_root))

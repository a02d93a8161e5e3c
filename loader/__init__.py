"""Loader: processed Parquet -> warehouse tables, each file exactly once.

The warehouse itself keeps a ledger of loaded files, written in the same transaction as the rows,
so a crash at any point followed by a re-run leaves every row exactly once.

Public API, for the CLI, the pipeline and the benchmarks (the modules behind it may move):

* :func:`run_load` and :class:`LoadResult`: load every new processed file into the configured warehouse;
* :func:`open_warehouse`: the configured warehouse (DuckDB, Athena or Redshift), e.g. for run history;
* :class:`DuckDBWarehouse`: the local warehouse, opened directly on a file.

Each name is imported on first use, so importing the package loads none of its modules.
"""

from typing import TYPE_CHECKING

from clickstream.exports import lazy_exports

if TYPE_CHECKING:
    from clickstream.loader.duckdb_warehouse import DuckDBWarehouse
    from clickstream.loader.factory import open_warehouse
    from clickstream.loader.runner import LoadResult, run_load

__all__ = ["DuckDBWarehouse", "LoadResult", "open_warehouse", "run_load"]

__getattr__ = lazy_exports(
    __name__,
    {
        "clickstream.loader.duckdb_warehouse": "DuckDBWarehouse",
        "clickstream.loader.factory": "open_warehouse",
        "clickstream.loader.runner": "LoadResult run_load",
    },
)

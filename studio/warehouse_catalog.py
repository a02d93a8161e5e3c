"""The metadata catalog of a Redshift or Athena warehouse, read from its meta_* models by the Studio.

On DuckDB each pipeline cycle writes the catalog file the Studio reads (studio/catalog.py). With a
Redshift or Athena warehouse the cycle runs elsewhere (the modeling task), so the Studio reads the
three meta_* tables itself and builds the same document with the same code as `metadata export`
(clickstream/metadata.py), re-reading them every ``studio.warehouse.catalog_refresh_seconds``.
A failed refresh keeps the catalog already loaded (and is logged); with none loaded yet it raises
:class:`~studio.reader.QueryFailed`, so a request says the warehouse failed rather than that no
event is known.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from clickstream.metadata import METADATA_TABLES, assemble_catalog, contract_columns
from studio.catalog import Catalog
from studio.deadline import QueryTimeout
from studio.reader import QueryFailed, WarehouseReader

logger = logging.getLogger("studio.catalog")


def load_warehouse_catalog(reader: WarehouseReader, project_id: str) -> Catalog:
    """The catalog built from the meta_* tables in the reader's schema."""
    scanned: dict[str, list[dict[str, Any]]] = {}
    for table in METADATA_TABLES:
        columns, rows = reader.run(f"select * from {reader.schema}.{table}", f"read {table}")
        scanned[table] = [dict(zip(columns, row, strict=True)) for row in rows]
    return Catalog.from_document(assemble_catalog(project_id, contract_columns(), scanned))


class WarehouseCatalog:
    """The warehouse's catalog, cached for ``refresh_seconds`` (the app's ``get()`` interface)."""

    def __init__(
        self,
        reader: WarehouseReader,
        project_id: str,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.project_id = project_id
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded: tuple[float, Catalog] | None = None

    def get(self) -> Catalog:
        with self._lock:  # one refresh at a time: concurrent requests wait for it rather than each querying
            if self._loaded is not None and self._clock() - self._loaded[0] < self.refresh_seconds:
                return self._loaded[1]
            try:
                catalog = load_warehouse_catalog(self.reader, self.project_id)
            except (QueryFailed, QueryTimeout) as error:
                if self._loaded is None:
                    raise
                logger.warning("keeping the previous catalog: the refresh failed", extra={"error": str(error)})
                self._loaded = (self._clock(), self._loaded[1])
                return self._loaded[1]
            self._loaded = (self._clock(), catalog)
            return catalog

"""The metadata catalog of a Redshift or Athena warehouse, read from its meta_* models by the Studio.

On DuckDB each pipeline cycle writes the catalog file the Studio reads (studio/catalog.py). With a
Redshift or Athena warehouse the cycle runs elsewhere (the modeling task), so the Studio reads the
three meta_* tables itself and builds the same document with the same code as `metadata export`
(clickstream/metadata.py), re-reading them every ``studio.warehouse.catalog_refresh_seconds`` in a
background thread while requests keep the catalog already loaded (a refresh runs three warehouse
queries, which requests should not wait for). A failed refresh keeps that catalog (and is logged);
with none loaded yet it raises
:class:`~clickstream.studio.reader.QueryFailed`, so a request says the warehouse failed rather than that no
event is known.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from clickstream.metadata import METADATA_TABLES, assemble_catalog, contract_columns
from clickstream.studio.catalog import Catalog
from clickstream.studio.deadline import QueryTimeout
from clickstream.studio.reader import QueryFailed, WarehouseReader

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
        self._refreshing: threading.Thread | None = None

    def get(self) -> Catalog:
        """The catalog; a stale one is answered at once while one background thread refreshes it."""
        with self._lock:
            loaded = self._loaded
            if loaded is None:  # nothing to answer with yet: load it now (concurrent requests wait for this one)
                catalog = load_warehouse_catalog(self.reader, self.project_id)
                self._loaded = (self._clock(), catalog)
                return catalog
            if self._clock() - loaded[0] >= self.refresh_seconds and self._refreshing is None:
                self._refreshing = threading.Thread(target=self._refresh, name="studio-catalog-refresh", daemon=True)
                self._refreshing.start()
            return loaded[1]

    def _refresh(self) -> None:
        try:
            catalog = load_warehouse_catalog(self.reader, self.project_id)
        except (QueryFailed, QueryTimeout) as error:
            logger.warning("keeping the previous catalog: the refresh failed", extra={"error": str(error)})
            catalog = None
        with self._lock:
            assert self._loaded is not None
            self._loaded = (self._clock(), catalog or self._loaded[1])  # a failed refresh waits a period too
            self._refreshing = None

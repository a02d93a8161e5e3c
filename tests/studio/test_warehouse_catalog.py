"""The Studio's catalog of a Redshift or Athena warehouse: built from its meta_* tables, and refreshed in the
background so that no request waits for the three queries a refresh runs."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from clickstream.studio.catalog import Catalog
from clickstream.studio.reader import QueryFailed, WarehouseReader
from clickstream.studio.warehouse_catalog import WarehouseCatalog
from tests.studio.remote_stubs import meta_tables

PROJECT = "project"


class MetaWarehouse(WarehouseReader):
    """A warehouse holding the dataset's meta_* tables, whose reads can be held or made to fail."""

    dialect = "redshift"

    def __init__(self) -> None:
        super().__init__("analytics", refresh_seconds=60.0)
        self.tables = meta_tables(PROJECT)
        self.reads = 0
        self.hold = threading.Event()
        self.hold.set()
        self.failing = False

    def run(self, sql: str, name: str) -> tuple[list[str], list[list[Any]]]:
        self.hold.wait(10)
        if self.failing:
            raise QueryFailed("the warehouse is down")
        self.reads += 1
        columns, rows = self.tables[sql.rsplit(".", 1)[1]]
        return list(columns), [list(row) for row in rows]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def events(catalog: Catalog) -> set[str]:
    return set(catalog.events["shop"])


def test_the_first_request_waits_for_the_catalog_and_later_ones_reuse_it() -> None:
    warehouse, clock = MetaWarehouse(), Clock()
    catalogs = WarehouseCatalog(warehouse, PROJECT, refresh_seconds=300, clock=clock)
    first = catalogs.get()
    clock.now = 299
    assert catalogs.get() is first and warehouse.reads == 3
    assert events(first) == {"_page_view", "view_item", "add_to_cart", "purchase"}


def test_a_stale_catalog_is_answered_at_once_while_one_refresh_runs_in_the_background() -> None:
    warehouse, clock = MetaWarehouse(), Clock()
    catalogs = WarehouseCatalog(warehouse, PROJECT, refresh_seconds=300, clock=clock)
    first = catalogs.get()
    warehouse.hold.clear()  # the refresh's queries hang
    clock.now = 301
    assert catalogs.get() is first and catalogs.get() is first  # answered without waiting, one refresh started
    refresh = catalogs._refreshing
    assert refresh is not None
    warehouse.hold.set()
    refresh.join(10)
    assert warehouse.reads == 6  # one refresh of the three tables, not one per request
    assert catalogs.get() is not first


def test_a_failed_refresh_keeps_the_catalog_already_loaded() -> None:
    warehouse, clock = MetaWarehouse(), Clock()
    catalogs = WarehouseCatalog(warehouse, PROJECT, refresh_seconds=300, clock=clock)
    first = catalogs.get()
    warehouse.failing, clock.now = True, 301
    assert catalogs.get() is first
    refresh = catalogs._refreshing
    assert refresh is not None
    refresh.join(10)
    assert catalogs.get() is first and catalogs._refreshing is None  # retried only after another period


def test_with_no_catalog_loaded_a_failing_warehouse_is_the_answer() -> None:
    warehouse = MetaWarehouse()
    warehouse.failing = True
    with pytest.raises(QueryFailed, match="the warehouse is down"):
        WarehouseCatalog(warehouse, PROJECT, refresh_seconds=300).get()

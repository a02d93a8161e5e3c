"""What the Studio queries: the DuckDB serving snapshot, or the Redshift or Athena warehouse itself.

The app sees one interface (:class:`Reader`): run a query, say when the newest event happened and when
the data was published. Which one is open follows ``warehouse.type``: a DuckDB pipeline publishes a
snapshot file (DuckDB lets one process write a file, so the Studio never opens the warehouse), while
Redshift and Athena serve concurrent readers themselves, so there the Studio queries the dbt models in
``studio.warehouse.schema`` directly and nothing is copied.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from clickstream.config import Config
from clickstream.serving import snapshot_path
from clickstream.studio.deadline import QueryTimeout
from clickstream.studio.snapshot import Result, SnapshotReader
from clickstream.studio.sqlbuild import Dialect

logger = logging.getLogger("studio.reader")


class QueryFailed(RuntimeError):
    """The warehouse refused or failed a query; the message says why (the app answers 502 with it)."""


class Reader(Protocol):
    """A read-only source of analysis rows for one SQL dialect."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def schema(self) -> str: ...

    def query(self, sql: str, timezone: str = "UTC") -> Result: ...

    def newest_event(self) -> str | None: ...

    def published_at(self) -> datetime | None: ...


class WarehouseReader(ABC):
    """Shared part of the Redshift and Athena readers: rows of a query, and the newest event cached.

    ``run`` is the engine's: submit, poll until final (cancelling at the timeout), read every page.
    The newest event costs a query, so it is read at most every ``refresh_seconds`` rather than per
    analysis; a failure there is logged and the page simply shows no date.
    """

    dialect: Dialect

    def __init__(self, schema: str, refresh_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.schema = schema
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._newest: tuple[float, str | None] | None = None

    @abstractmethod
    def run(self, sql: str, name: str) -> tuple[list[str], list[list[Any]]]:
        """Column names and typed rows of ``sql`` (``name`` names it in the warehouse's history and errors)."""

    def query(self, sql: str, timezone: str = "UTC") -> Result:
        """Rows of ``sql`` as dicts. ``timezone`` is not needed: the SQL names the app's zone itself (decision 34)."""
        columns, rows = self.run(sql, "clickstream studio analysis")
        return Result(columns, [dict(zip(columns, row, strict=True)) for row in rows], self.newest_event())

    def newest_event(self) -> str | None:
        with self._lock:
            if self._newest is not None and self._clock() - self._newest[0] < self.refresh_seconds:
                return self._newest[1]
        try:
            _, rows = self.run(f"select max(event_timestamp) as newest from {self.schema}.fct_events", "newest event")
        except (QueryFailed, QueryTimeout) as error:
            logger.warning("cannot read the newest event", extra={"error": str(error)})
            return None
        newest = rows[0][0] if rows else None
        text = newest.isoformat(sep=" ") if isinstance(newest, datetime) else (None if newest is None else str(newest))
        with self._lock:
            self._newest = (self._clock(), text)
        return text

    def published_at(self) -> datetime | None:
        """None: nothing is published; the warehouse's tables are the data (dbt rebuilds them in place)."""
        return None


@dataclass(frozen=True)
class WarehouseClients:
    """The AWS clients the Studio talks to and the clock it waits with; None means the real client or clock
    (tests pass stubs). ``cloudformation`` and ``stepfunctions`` serve the pipeline page on AWS."""

    redshift_data: Any = None
    athena: Any = None
    cloudformation: Any = None
    stepfunctions: Any = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def open_reader(config: Config, clients: WarehouseClients | None = None) -> Reader:
    """The reader for ``config``'s warehouse type.

    The AWS readers are imported only when chosen, so a DuckDB setup never loads their clients.
    """
    settings = config.studio
    clients = clients or WarehouseClients()
    if config.warehouse.type == "redshift":
        from clickstream.studio.redshift_reader import RedshiftReader

        assert config.warehouse.redshift is not None  # the config requires the section for this type
        return RedshiftReader(config.warehouse.redshift, settings, clients)
    if config.warehouse.type == "athena":
        from clickstream.studio.athena_reader import AthenaReader

        assert config.warehouse.athena is not None
        return AthenaReader(config.warehouse.athena, settings, clients)
    return SnapshotReader(snapshot_path(config), settings.query_threads, settings.query_timeout_seconds)

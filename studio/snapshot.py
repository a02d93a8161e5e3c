"""Reading the newest serving snapshot: one read-only DuckDB handle per published file.

Each request stats the snapshot path; when a cycle has renamed a new file over it (another inode), the
next request opens that one, while queries still running on the old handle finish on the old file (the
handle and the file live until the last cursor on it is gone). Opening is cheap but a warm handle keeps
DuckDB's buffer cache, so it is kept per published file rather than per request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from clickstream.serving import INFO_TABLE
from clickstream.studio.deadline import interrupt_after

CATALOG = "snapshot"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class NoSnapshot(RuntimeError):
    """No cycle has published a serving snapshot yet."""


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[dict[str, Any]]
    data_as_of: str | None


class SnapshotReader:
    """Runs read-only queries on the newest snapshot at ``path`` (its ``events`` and ``users`` views)."""

    dialect: Literal["duckdb"] = "duckdb"
    schema = CATALOG

    def __init__(self, path: Path, threads: int | None = None, timeout_seconds: float | None = None) -> None:
        self.path = path
        self.threads = threads
        self.timeout_seconds = timeout_seconds
        self._lock = threading.Lock()
        self._identity: tuple[int, int] | None = None
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._as_of: str | None = None

    def _current(self) -> tuple[duckdb.DuckDBPyConnection, str | None]:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            raise NoSnapshot(f"no serving snapshot at {self.path}") from None
        identity = (status.st_ino, status.st_mtime_ns)
        with self._lock:
            if identity != self._identity or self._connection is None:
                config: dict[str, Any] = {"threads": self.threads} if self.threads else {}
                # not duckdb.connect(path): DuckDB caches databases by path in a process, so it would hand
                # back the replaced file; a fresh in-memory database attaching the path opens the new one
                connection = duckdb.connect(":memory:", config=config)
                connection.execute(f"attach {_sql_string(str(self.path))} as {CATALOG} (read_only)")
                connection.execute(f"use {CATALOG}")
                row = connection.execute(f"select cast(newest_event as varchar) from {INFO_TABLE}").fetchone()
                # the old handle is dropped, not closed: cursors still running on it keep it alive
                self._connection, self._identity = connection, identity
                self._as_of = None if row is None else row[0]
            return self._connection, self._as_of

    def query(self, sql: str, timezone: str = "UTC") -> Result:
        """Rows of ``sql`` as dicts, with dates bucketed and ranges read in ``timezone`` (the app's)."""
        connection, as_of = self._current()
        cursor = connection.cursor()
        try:
            cursor.execute(f"use {CATALOG}")  # a cursor is a new connection: it starts in the memory catalog
            cursor.execute(f"set TimeZone = '{_zone(timezone)}'")
            with interrupt_after(cursor, self.timeout_seconds):
                cursor.execute(sql)
                columns = [column[0] for column in cursor.description]
                rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()
        return Result(columns, rows, as_of)

    def newest_event(self) -> str | None:
        """When the newest event in the snapshot happened (the page's default date range ends there)."""
        try:
            return self._current()[1]
        except NoSnapshot:
            return None

    def published_at(self) -> datetime | None:
        try:
            connection, _ = self._current()
        except NoSnapshot:
            return None
        row = connection.cursor().execute(f"select published_at from {CATALOG}.{INFO_TABLE}").fetchone()
        return None if row is None else row[0]


def _zone(name: str) -> str:
    """An IANA zone name (validated by the config) safe inside a SET statement."""
    if not all(ch.isalnum() or ch in "/_+-" for ch in name):
        raise ValueError(f"not a timezone name: {name!r}")
    return name

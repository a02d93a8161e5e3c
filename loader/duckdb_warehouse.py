"""The embedded DuckDB warehouse: tables from the contract, batched loads with an in-transaction ledger.

Each loaded row carries ``_source_file``, the relative path of the processed file it came from. That
column is what lets a re-processed file (same path, new content) replace exactly its own old rows; the
ledger alone could say that the file changed but not which rows were its.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import astuple
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from clickstream.contract import Table
from clickstream.errors import WarehouseError
from clickstream.loader.warehouse import LEDGER_TABLE, RUN_HISTORY_TABLE, FileToLoad, LedgerEntry
from clickstream.locks import exclusive_lock
from clickstream.run_history import StageRecord
from clickstream.storage import Storage

SOURCE_FILE_COLUMN = "_source_file"
OPEN_RETRY_SECONDS = 15.0


_GLOB = re.compile(r"[*?\[\]{}]")


class _Refused(Exception):
    """A batch that must not commit: what is wrong, and what the user can do about it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class DuckDBWarehouse:
    """Tables of the contract in one schema of a DuckDB file, plus the ledger and the run history.

    The connection opens lazily and is closed by :meth:`close`, so the file is free for dbt while
    nothing is loading (DuckDB lets one process write a file at a time).
    """

    def __init__(self, path: Path, schema: str, storage: Storage | None = None) -> None:
        self.path = path
        self.schema = schema
        self.storage = storage  # the data root, for files DuckDB cannot read itself (S3, glob characters)
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def description(self) -> str:
        return f"duckdb {self.path} (schema {self.schema})"

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            deadline = time.monotonic() + OPEN_RETRY_SECONDS
            while True:  # a reader (a notebook, a dashboard query) holds the file for moments: wait it out
                try:
                    self._connection = duckdb.connect(str(self.path))
                    break
                except duckdb.IOException as exc:
                    if time.monotonic() >= deadline:
                        raise WarehouseError(
                            f"cannot open the DuckDB warehouse {self.path}: {exc}",
                            hint="another process (a dbt run, a notebook) holds it open; close it and retry",
                        ) from None
                    time.sleep(0.2)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The open connection for a block, closed afterwards (for tools that bring their own SQL)."""
        try:
            yield self.connection
        finally:
            self.close()

    def load_lock(self, timeout_seconds: float) -> AbstractContextManager[None]:
        return exclusive_lock(self.path.with_name(self.path.name + ".load.lock"), timeout_seconds, "a load")

    def qualified(self, table: str) -> str:
        return f"{_quote(self.schema)}.{_quote(table)}"

    def ensure_tables(self, tables: Sequence[Table]) -> None:
        """Create missing tables and add columns the contract gained; never drop or change a column."""
        with self._transaction("creating the tables") as connection:  # DDL is transactional: never half a table
            self._ensure_all(connection, tables)

    def _ensure_all(self, connection: duckdb.DuckDBPyConnection, tables: Sequence[Table]) -> None:
        self._ensure_run_history(connection)
        connection.execute(
            f"""create table if not exists {self.qualified(LEDGER_TABLE)} (
                path varchar primary key,
                table_name varchar not null,
                size_bytes bigint not null,
                modified_ns bigint not null,
                sha256 varchar not null,
                row_count bigint not null,
                load_id varchar not null,
                loaded_at timestamp with time zone not null
            )"""
        )  # a ledger from before change detection lacks modified_ns: 0 makes its files re-checked once
        connection.execute(
            f"alter table {self.qualified(LEDGER_TABLE)} add column if not exists modified_ns bigint default 0"
        )
        for table in tables:
            self._ensure_table(connection, table)

    def _ensure_run_history(self, connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute(f"create schema if not exists {_quote(self.schema)}")
        connection.execute(
            f"""create table if not exists {self.qualified(RUN_HISTORY_TABLE)} (
                run_id varchar not null,
                stage varchar not null,
                started_at timestamp with time zone not null,
                ended_at timestamp with time zone not null,
                status varchar not null,
                count_in bigint not null,
                count_out bigint not null,
                detail varchar not null
            )"""
        )

    def _ensure_table(self, connection: duckdb.DuckDBPyConnection, table: Table) -> None:
        empty = table.schema.empty_table()  # noqa: F841 - read by DuckDB's replacement scan
        existing = {
            row[0]
            for row in connection.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [self.schema, table.name],
            ).fetchall()
        }
        if not existing:
            connection.execute(
                f"create table {self.qualified(table.name)} as "
                f"select *, cast(null as varchar) as {SOURCE_FILE_COLUMN} from empty"
            )
            for column in table.columns:
                if not column.nullable:
                    connection.execute(
                        f"alter table {self.qualified(table.name)} alter column {_quote(column.name)} set not null"
                    )
            return
        for column in table.columns:
            if column.name not in existing:
                declared = connection.execute(f"describe select {_quote(column.name)} from empty").fetchone()
                assert declared is not None
                connection.execute(
                    f"alter table {self.qualified(table.name)} add column {_quote(column.name)} {declared[1]}"
                )
        if SOURCE_FILE_COLUMN not in existing:
            connection.execute(f"alter table {self.qualified(table.name)} add column {SOURCE_FILE_COLUMN} varchar")

    def ledger(self) -> dict[str, LedgerEntry]:
        rows = self.connection.execute(
            "select path, table_name, size_bytes, modified_ns, sha256, row_count, load_id, loaded_at "
            f"from {self.qualified(LEDGER_TABLE)}"
        ).fetchall()
        return {row[0]: LedgerEntry(*row) for row in rows}

    def load_files(self, table: Table, files: Sequence[FileToLoad], load_id: str) -> int:
        """Insert the rows of ``files`` and their ledger entries in one transaction; returns rows loaded."""
        if not files:
            return 0
        with self._transaction(f"loading {len(files)} file(s) into {table.name}") as connection:
            replaced = [file.relative_path for file in files if file.replaces]
            if replaced:
                self._forget(connection, table, replaced)
            rows = self._insert_rows(connection, table, files)
            expected = sum(file.row_count for file in files)
            if rows != expected:
                raise _Refused(
                    f"inserted {rows} rows but the files' footers say {expected}",
                    "a processed file changed while loading (a re-processing?); load again when it is done",
                )
            loaded_at = datetime.now(UTC)
            connection.executemany(
                f"insert into {self.qualified(LEDGER_TABLE)} "
                "(path, table_name, size_bytes, modified_ns, sha256, row_count, load_id, loaded_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (f.relative_path, table.name, f.size, f.modified_ns, f.sha256, f.row_count, load_id, loaded_at)
                    for f in files
                ],
            )
        return rows

    def refresh_files(self, table: Table, files: Sequence[FileToLoad]) -> None:
        self.connection.executemany(
            f"update {self.qualified(LEDGER_TABLE)} set size_bytes = ?, modified_ns = ? where path = ?",
            [(file.size, file.modified_ns, file.relative_path) for file in files],
        )

    def remove_files(self, table: Table, entries: Sequence[LedgerEntry]) -> int:
        """Delete the rows and ledger entries of files that no longer exist, in one transaction."""
        if not entries:
            return 0
        with self._transaction(f"removing {len(entries)} vanished file(s) from {table.name}") as connection:
            return self._forget(connection, table, [entry.path for entry in entries])

    @contextmanager
    def _transaction(self, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
        connection = self.connection
        connection.execute("begin transaction")
        try:
            yield connection
            connection.execute("commit")
        except BaseException as exc:
            connection.execute("rollback")
            if not isinstance(exc, duckdb.Error | _Refused):
                raise
            hint = exc.hint if isinstance(exc, _Refused) else "fix the cause and load again"
            raise WarehouseError(f"{what} failed: {exc}", hint=f"nothing of it was committed; {hint}") from None

    def _forget(self, connection: duckdb.DuckDBPyConnection, table: Table, paths: Sequence[str]) -> int:
        """Delete the files' rows and ledger entries, refusing when the rows do not match the ledger."""
        recorded = connection.execute(
            f"select coalesce(sum(row_count), 0) from {self.qualified(LEDGER_TABLE)} where path in (select unnest(?))",
            [list(paths)],
        ).fetchone()
        deleted = connection.execute(
            f"delete from {self.qualified(table.name)} where {SOURCE_FILE_COLUMN} in (select unnest(?))", [list(paths)]
        ).fetchone()
        if recorded is None or deleted is None or recorded[0] != deleted[0]:
            raise _Refused(
                f"the ledger holds {recorded[0] if recorded else '?'} rows of {len(paths)} re-processed or vanished "
                f"file(s) ({paths[0]}, ...) but {deleted[0] if deleted else '?'} rows carry their name",
                "rows loaded before per-file tracking cannot be told apart: rebuild the warehouse's tables "
                "(delete the warehouse and run `clickstream load`; every file is loaded again, once)",
            )
        connection.execute(
            f"delete from {self.qualified(LEDGER_TABLE)} where path in (select unnest(?))", [list(paths)]
        )
        return int(deleted[0])

    def _insert_rows(self, connection: duckdb.DuckDBPyConnection, table: Table, files: Sequence[FileToLoad]) -> int:
        """Insert by column name, so files written before the contract gained a column load with it null.

        DuckDB reads local files itself. It would read ``*?[{`` in a name as a glob, and it reaches S3
        only through an extension this offline setup lacks, so those files go through pyarrow instead.
        """
        local = self.storage is None or self.storage.is_local
        direct = [f for f in files if local and not _GLOB.search(f.location)]
        through_arrow = [f for f in files if not local or _GLOB.search(f.location)]
        inserted = 0
        if direct:
            row = connection.execute(
                f"""insert into {self.qualified(table.name)} by name
                select rows.* exclude (_location), sources.relative_path as {SOURCE_FILE_COLUMN}
                from read_parquet(?, hive_partitioning = false, union_by_name = true, filename = '_location') as rows
                inner join (select unnest(?) as location, unnest(?) as relative_path) as sources
                    on rows._location = sources.location""",
                [[f.location for f in direct], [f.location for f in direct], [f.relative_path for f in direct]],
            ).fetchone()
            inserted += int(row[0]) if row else 0
        for file in through_arrow:
            arrow_rows = (  # noqa: F841 - read by DuckDB's replacement scan
                self.storage.read_parquet(file.relative_path) if self.storage else pq.read_table(file.location)
            )
            row = connection.execute(
                f"insert into {self.qualified(table.name)} by name select *, ? as {SOURCE_FILE_COLUMN} from arrow_rows",
                [file.relative_path],
            ).fetchone()
            inserted += int(row[0]) if row else 0
        return inserted

    def record_stages(self, records: Sequence[StageRecord]) -> None:
        if not records:
            return
        self._ensure_run_history(self.connection)
        self.connection.executemany(
            f"insert into {self.qualified(RUN_HISTORY_TABLE)} values (?, ?, ?, ?, ?, ?, ?, ?)",
            [astuple(record) for record in records],  # the fields are the table's columns, in order
        )

"""The embedded DuckDB warehouse: tables from the contract, batched loads with an in-transaction ledger.

Each loaded row carries ``_source_file``, the relative path of the processed file it came from. That
column is what lets a re-processed file (same path, new content) replace exactly its own old rows; the
ledger alone could say that the file changed but not which rows were its.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from clickstream.contract import Table
from clickstream.errors import WarehouseError
from clickstream.locks import exclusive_lock
from loader.warehouse import LEDGER_TABLE, RUN_HISTORY_TABLE, FileToLoad, LedgerEntry, StageRecord

SOURCE_FILE_COLUMN = "_source_file"
OPEN_RETRY_SECONDS = 15.0


class _FileChanged(Exception):
    """A file's rows differ from its footer's count: it was replaced between planning and loading."""


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class DuckDBWarehouse:
    """Tables of the contract in one schema of a DuckDB file, plus the ledger and the run history.

    The connection opens lazily and is closed by :meth:`close`, so the file is free for dbt while
    nothing is loading (DuckDB lets one process write a file at a time).
    """

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self.schema = schema
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
        connection = self.connection
        connection.execute("begin transaction")  # DDL is transactional: a crash never leaves half a table
        try:
            self._ensure_all(connection, tables)
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise

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
        connection = self.connection
        target = self.qualified(table.name)
        columns = ", ".join(_quote(name) for name in table.column_names)
        loaded_at = datetime.now(UTC)
        paths = [(file.location, file.relative_path) for file in files]
        replaced = [file.relative_path for file in files if file.replaces]
        connection.execute("begin transaction")
        try:
            if replaced:
                connection.execute(f"delete from {target} where {SOURCE_FILE_COLUMN} in (select unnest(?))", [replaced])
                connection.execute(
                    f"delete from {self.qualified(LEDGER_TABLE)} where path in (select unnest(?))", [replaced]
                )
            connection.execute(
                f"""insert into {target} ({columns}, {SOURCE_FILE_COLUMN})
                with sources as (select unnest(?) as location, unnest(?) as relative_path)
                select {columns}, sources.relative_path
                from read_parquet(?, hive_partitioning = false, union_by_name = true, filename = '_location') as rows
                inner join sources on rows._location = sources.location""",
                [[p[0] for p in paths], [p[1] for p in paths], [p[0] for p in paths]],
            )
            inserted = connection.fetchone()
            rows = int(inserted[0]) if inserted else 0
            expected = sum(file.row_count for file in files)
            if rows != expected:
                raise _FileChanged(f"inserted {rows} rows but the files' footers say {expected}")
            connection.executemany(
                f"insert into {self.qualified(LEDGER_TABLE)} values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (f.relative_path, table.name, f.size, f.modified_ns, f.sha256, f.row_count, load_id, loaded_at)
                    for f in files
                ],
            )
            connection.execute("commit")
        except (duckdb.Error, _FileChanged) as exc:
            connection.execute("rollback")
            raise WarehouseError(
                f"loading {len(files)} file(s) into {table.name} failed: {exc}",
                hint="nothing of this batch was loaded; fix the cause (or let a re-processing finish) and load again",
            ) from None
        return rows

    def record_stages(self, records: Sequence[StageRecord]) -> None:
        if not records:
            return
        self._ensure_run_history(self.connection)
        self.connection.executemany(
            f"insert into {self.qualified(RUN_HISTORY_TABLE)} values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (r.run_id, r.stage, r.started_at, r.ended_at, r.status, r.count_in, r.count_out, r.detail)
                for r in records
            ],
        )

"""The embedded DuckDB warehouse: tables from the contract, batched loads with an in-transaction ledger."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from clickstream.contract import Table
from clickstream.errors import WarehouseError

LEDGER_TABLE = "_loaded_files"


@dataclass(frozen=True)
class FileToLoad:
    """A processed file: its path relative to home (the ledger key) and where DuckDB reads it."""

    relative_path: str
    local_path: str
    size: int


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class DuckDBWarehouse:
    """Tables of the contract in one schema of a DuckDB file, plus the ledger of loaded files."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self.schema = schema

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            raise WarehouseError(
                f"cannot open the DuckDB warehouse {self.path}: {exc}",
                hint="another process (a dbt run, a notebook) may hold it open; close it and retry",
            ) from None
        try:
            yield connection
        finally:
            connection.close()

    def qualified(self, table: str) -> str:
        return f"{_quote(self.schema)}.{_quote(table)}"

    def ensure_tables(self, connection: duckdb.DuckDBPyConnection, tables: list[Table]) -> None:
        """Create missing tables and add columns the contract gained; never drop or change a column."""
        connection.execute(f"create schema if not exists {_quote(self.schema)}")
        connection.execute(
            f"""create table if not exists {self.qualified(LEDGER_TABLE)} (
                path varchar primary key,
                table_name varchar not null,
                size_bytes bigint not null,
                sha256 varchar not null,
                row_count bigint not null,
                load_id varchar not null,
                loaded_at timestamp with time zone not null
            )"""
        )
        for table in tables:
            empty = table.schema.empty_table()  # noqa: F841 - read by DuckDB's replacement scan
            existing = {
                row[0]
                for row in connection.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                    [self.schema, table.name],
                ).fetchall()
            }
            if not existing:
                connection.execute(f"create table {self.qualified(table.name)} as select * from empty")
                for column in table.columns:
                    if not column.nullable:
                        connection.execute(
                            f"alter table {self.qualified(table.name)} alter column {_quote(column.name)} set not null"
                        )
                continue
            for column in table.columns:
                if column.name not in existing:
                    declared = connection.execute(f"describe select {_quote(column.name)} from empty").fetchone()
                    assert declared is not None
                    connection.execute(
                        f"alter table {self.qualified(table.name)} add column {_quote(column.name)} {declared[1]}"
                    )

    def loaded_paths(self, connection: duckdb.DuckDBPyConnection) -> set[str]:
        return {row[0] for row in connection.execute(f"select path from {self.qualified(LEDGER_TABLE)}").fetchall()}

    def load_files(self, connection: duckdb.DuckDBPyConnection, table: Table, files: list[FileToLoad]) -> int:
        """Insert the rows of ``files`` and their ledger entries in one transaction; returns rows loaded."""
        if not files:
            return 0
        load_id = uuid.uuid4().hex
        loaded_at = datetime.now(UTC)
        ledger_rows = []
        for file in files:
            try:
                row_count = pq.ParquetFile(file.local_path).metadata.num_rows
            except (OSError, ValueError) as exc:
                raise WarehouseError(
                    f"{file.relative_path} is not a readable Parquet file: {exc}",
                    hint="move it aside and re-run `clickstream etl` for its raw file",
                ) from None
            ledger_rows.append(
                (file.relative_path, table.name, file.size, _sha256(file.local_path), row_count, load_id, loaded_at)
            )
        columns = ", ".join(_quote(name) for name in table.column_names)
        connection.execute("begin transaction")
        try:
            connection.execute(
                f"insert into {self.qualified(table.name)} ({columns}) "
                f"select {columns} from read_parquet(?, hive_partitioning = false, union_by_name = true)",
                [[file.local_path for file in files]],
            )
            connection.executemany(
                f"insert into {self.qualified(LEDGER_TABLE)} values (?, ?, ?, ?, ?, ?, ?)", ledger_rows
            )
            connection.execute("commit")
        except duckdb.Error as exc:
            connection.execute("rollback")
            raise WarehouseError(f"loading {len(files)} file(s) into {table.name} failed: {exc}") from None
        return sum(row[4] for row in ledger_rows)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

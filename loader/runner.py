"""`clickstream load`: every processed file not in the ledger -> its warehouse table."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from clickstream.contract import PROCESSED_DIR, PROCESSED_TABLES, REJECTED, REJECTED_DIR, Table
from clickstream.storage import Storage
from loader.duckdb_warehouse import DuckDBWarehouse, FileToLoad

FILES_PER_TRANSACTION = 500


@dataclass
class LoadResult:
    """What one load did, per table."""

    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    already_loaded: int = 0
    seconds: float = 0.0

    @property
    def total_files(self) -> int:
        return sum(self.files.values())


def _files_of(storage: Storage, table: Table) -> list[FileToLoad]:
    prefix = PurePosixPath(REJECTED_DIR) if table is REJECTED else PurePosixPath(PROCESSED_DIR, table.name)
    return [FileToLoad(f.path, storage.path(f.path), f.size) for f in storage.list_files(prefix, ".parquet")]


def run_load(
    home: Path,
    warehouse_path: Path,
    schema: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> LoadResult:
    """Load what is new under ``home`` into the DuckDB warehouse; ``on_progress(done, total)`` in files."""
    started = time.perf_counter()
    storage = Storage(home)
    warehouse = DuckDBWarehouse(warehouse_path, schema)
    tables = [*PROCESSED_TABLES.values(), REJECTED]
    result = LoadResult()
    with warehouse.connect() as connection:
        warehouse.ensure_tables(connection, tables)
        loaded = warehouse.loaded_paths(connection)
        plan: list[tuple[Table, list[FileToLoad]]] = []
        for table in tables:
            candidates = _files_of(storage, table)
            new = [file for file in candidates if file.relative_path not in loaded]
            result.already_loaded += len(candidates) - len(new)
            plan.append((table, new))
        total = sum(len(files) for _, files in plan)
        done = 0
        if on_progress:
            on_progress(0, total)
        for table, files in plan:
            result.files[table.name] = len(files)
            result.rows[table.name] = 0
            for start in range(0, len(files), FILES_PER_TRANSACTION):
                batch = files[start : start + FILES_PER_TRANSACTION]
                result.rows[table.name] += warehouse.load_files(connection, table, batch)
                done += len(batch)
                if on_progress:
                    on_progress(done, total)
    result.seconds = time.perf_counter() - started
    return result

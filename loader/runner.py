"""`clickstream load`: every processed file not yet in the ledger (or changed since) -> its warehouse table.

Which files to load is decided here, the same for every engine: a file is new when the ledger lacks its
path, and changed when its size or modification time differ from the ledger's *and* its SHA-256 does too
(an ETL ``--reprocess`` rewrites files in place). Hashing only files that look different keeps a re-run
with nothing new cheap however large the history is. The plan is made under the warehouse's load lock,
so two loaders can never both decide to load the same file.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pyarrow.parquet as pq

from clickstream.config import Config
from clickstream.contract import PROCESSED_DIR, PROCESSED_TABLES, REJECTED, REJECTED_DIR, Table
from clickstream.errors import WarehouseError
from clickstream.loader.factory import open_warehouse
from clickstream.loader.warehouse import FileToLoad, LedgerEntry, Warehouse
from clickstream.storage import Storage, StoredFile

LOADED_TABLES: tuple[Table, ...] = (*PROCESSED_TABLES.values(), REJECTED)


@dataclass
class LoadResult:
    """What one load did, per table."""

    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    already_loaded: int = 0
    replaced: int = 0
    vanished: int = 0
    rows_removed: int = 0
    seconds: float = 0.0
    warehouse: str = ""

    @property
    def total_files(self) -> int:
        return sum(self.files.values())

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def table_prefix(table: Table) -> PurePosixPath:
    """Where the ETL writes ``table``'s files under the storage root."""
    return PurePosixPath(REJECTED_DIR) if table is REJECTED else PurePosixPath(PROCESSED_DIR, table.name)


def _sha256(storage: Storage, relative: str) -> str:
    digest = hashlib.sha256()
    with storage.open_input(relative) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _row_count(storage: Storage, relative: str) -> int:
    try:
        with storage.open_input(relative) as handle:
            return int(pq.ParquetFile(handle).metadata.num_rows)
    except (OSError, ValueError) as exc:
        raise WarehouseError(
            f"{relative} is not a readable Parquet file: {exc}",
            hint="move it aside and re-run `clickstream etl --reprocess` for its raw file",
        ) from None


def _plan(storage: Storage, stored: StoredFile, known: LedgerEntry | None) -> tuple[FileToLoad, bool]:
    """A file that looks new or changed, hashed: ``(file, same bytes as its ledger entry)``.

    A file rewritten with identical bytes (a re-processing is deterministic; a bucket copy keeps them)
    keeps its ledger entry's row count and only needs the new size and time recorded, so later runs skip
    it without reading it again.
    """
    sha256 = _sha256(storage, stored.path)
    unchanged = known is not None and known.sha256 == sha256
    file = FileToLoad(
        relative_path=stored.path,
        location=storage.uri(stored.path),
        size=stored.size,
        modified_ns=stored.mtime_ns,
        sha256=sha256,
        row_count=known.row_count if known is not None and unchanged else _row_count(storage, stored.path),
        replaces=known is not None and not unchanged,
    )
    return file, unchanged


def load_new_files(
    storage: Storage,
    warehouse: Warehouse,
    files_per_transaction: int,
    lock_timeout_seconds: float,
    on_progress: Callable[[int, int], None] | None = None,
    tables: Sequence[Table] = LOADED_TABLES,
) -> LoadResult:
    """Load what is new or changed under ``storage`` into ``warehouse``; ``on_progress(done, total)`` in files."""
    started = time.perf_counter()
    result = LoadResult(warehouse=warehouse.description)
    with warehouse.load_lock(lock_timeout_seconds):
        try:
            _load_under_lock(storage, warehouse, files_per_transaction, on_progress, tables, result)
        finally:
            warehouse.close()  # inside the lock: the next loader must find the warehouse free
    result.seconds = time.perf_counter() - started
    return result


def _vanished(ledger: dict[str, LedgerEntry], table: Table, listed: set[str]) -> list[LedgerEntry]:
    """Ledger entries of ``table`` whose file is gone (a re-processing wrote its rows elsewhere)."""
    prefix = f"{table_prefix(table)}/"
    return [e for path, e in sorted(ledger.items()) if path.startswith(prefix) and path not in listed]


def _looks_unchanged(stored: StoredFile, known: LedgerEntry | None) -> bool:
    return known is not None and known.size_bytes == stored.size and known.modified_ns == stored.mtime_ns


def _load_under_lock(
    storage: Storage,
    warehouse: Warehouse,
    files_per_transaction: int,
    on_progress: Callable[[int, int], None] | None,
    tables: Sequence[Table],
    result: LoadResult,
) -> None:
    """List (cheap), then hash and load batch by batch: a large backlog shows progress from the start, and
    a crash loses at most one batch's hashing."""
    warehouse.ensure_tables(tables)
    ledger = warehouse.ledger()
    listings = {table.name: storage.list_files(table_prefix(table), ".parquet") for table in tables}
    if ledger and not any(listings.values()):
        raise WarehouseError(
            f"{storage.root} holds no processed files, but the warehouse has {len(ledger)} loaded",
            hint="check data_root; to replay from scratch, delete the warehouse as well as processed/",
        )
    work: list[tuple[Table, list[StoredFile]]] = []
    for table in tables:
        listed = listings[table.name]
        candidates = [stored for stored in listed if not _looks_unchanged(stored, ledger.get(stored.path))]
        result.already_loaded += len(listed) - len(candidates)
        work.append((table, candidates))
        gone = _vanished(ledger, table, {stored.path for stored in listed})
        if gone:  # the listings above completed: these files really are gone
            result.vanished += len(gone)
            result.rows_removed += warehouse.remove_files(table, gone)
    total = sum(len(candidates) for _, candidates in work)
    done = 0
    if on_progress:
        on_progress(0, total)
    for table, candidates in work:
        result.files[table.name] = 0
        result.rows[table.name] = 0
        for start in range(0, len(candidates), files_per_transaction):
            chunk = candidates[start : start + files_per_transaction]
            planned = [_plan(storage, stored, ledger.get(stored.path)) for stored in chunk]
            refreshed = [file for file, unchanged in planned if unchanged]
            batch = [file for file, unchanged in planned if not unchanged]
            if refreshed:
                warehouse.refresh_files(table, refreshed)
                result.already_loaded += len(refreshed)
            if batch:
                result.rows[table.name] += warehouse.load_files(table, batch, uuid.uuid4().hex)
                result.files[table.name] += len(batch)
                result.replaced += sum(file.replaces for file in batch)
            done += len(chunk)
            if on_progress:
                on_progress(done, total)


def run_load(config: Config, on_progress: Callable[[int, int], None] | None = None) -> LoadResult:
    """`clickstream load` for ``config``: its storage root into its configured warehouse."""
    return load_new_files(
        Storage(config.storage_root),
        open_warehouse(config),
        config.warehouse.files_per_transaction,
        config.warehouse.lock_timeout_seconds,
        on_progress,
    )

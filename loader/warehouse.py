"""The one protocol every warehouse implements, and the records it keeps.

The loader decides *what* to load (new and changed files, with their checksums and row counts); a
warehouse decides *how*: it writes a batch's rows and its ledger entries in one transaction, so a crash at
any point leaves either both or neither. DuckDB, Redshift and Athena implement it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from clickstream.contract import Table
from clickstream.run_history import StageRecord

LEDGER_TABLE = "_loaded_files"
RUN_HISTORY_TABLE = "_pipeline_runs"


@dataclass(frozen=True)
class LedgerEntry:
    """One loaded file, as the warehouse recorded it in the transaction that loaded its rows."""

    path: str
    table_name: str
    size_bytes: int
    modified_ns: int
    sha256: str
    row_count: int
    load_id: str
    loaded_at: datetime


@dataclass(frozen=True)
class FileToLoad:
    """A processed file ready to load: the ledger key, where the engine reads it, and what it holds.

    ``relative_path`` is relative to the storage root (stable across machines); ``location`` is what the
    engine opens (a local path for DuckDB, an ``s3://`` URI for Redshift and Athena). ``replaces`` is set
    when the ledger already holds this path with other content (the ETL re-processed its input): the
    warehouse then swaps the file's old rows for the new ones in the same transaction.
    """

    relative_path: str
    location: str
    size: int
    modified_ns: int
    sha256: str
    row_count: int
    replaces: bool = False


def ledger_fields(file: FileToLoad, table_name: str, load_id: str) -> dict[str, str | int]:
    """A file's ledger entry as the JSON objects the Redshift and Athena ledgers are written from."""
    return {
        "path": file.relative_path,
        "table_name": table_name,
        "size_bytes": file.size,
        "modified_ns": file.modified_ns,
        "sha256": file.sha256,
        "row_count": file.row_count,
        "load_id": load_id,
    }


class Warehouse(Protocol):
    """What the loader and the pipeline need from a warehouse."""

    @property
    def description(self) -> str:
        """Where the data goes, for messages: e.g. ``duckdb /path/warehouse.duckdb (schema ods)``."""
        ...

    def load_lock(self, timeout_seconds: float) -> AbstractContextManager[None]:
        """Hold the exclusive right to load; wait up to ``timeout_seconds``, then raise WarehouseError.

        A lock left by a process that died must not block: it is recovered, not waited on forever.
        """
        ...

    def ensure_tables(self, tables: Sequence[Table]) -> None:
        """Create missing tables (and the ledger), add columns the contract gained; never drop one."""
        ...

    def ledger(self) -> dict[str, LedgerEntry]:
        """Every loaded file by relative path."""
        ...

    def load_files(self, table: Table, files: Sequence[FileToLoad], load_id: str) -> int:
        """Insert the files' rows and their ledger entries in one transaction; return the rows inserted."""
        ...

    def refresh_files(self, table: Table, files: Sequence[FileToLoad]) -> None:
        """Record a new size and modification time for files rewritten with the same bytes (same SHA-256)."""
        ...

    def remove_files(self, table: Table, entries: Sequence[LedgerEntry]) -> int:
        """Forget files that no longer exist (the ETL re-processed their input into other files).

        Their ledger entries go, and their rows too where the engine can tell them apart; returns the
        rows that are no longer in the table.
        """
        ...

    def record_stages(self, records: Sequence[StageRecord]) -> None:
        """Append rows to the run-history table."""
        ...

    def close(self) -> None:
        """Release connections; the warehouse object is not used afterwards."""
        ...

"""The read-only serving snapshot the Analytics Studio queries, published by each pipeline cycle.

DuckDB lets one process write a database file, and a read-only open from another process fails while a
writer holds it. So the Studio never opens the warehouse: after modeling, the cycle (which holds the
pipeline lock, with dbt's handle released) copies the warehouse file as it is (a byte copy: seconds,
where rewriting fct_events through DuckDB took minutes at 10M events), adds views named for the tables the
Studio reads (``events`` over analytics.fct_events, ``users`` over dim_users) and ``snapshot_info`` to
the copy, closes it, then renames it over the previous snapshot. A read-only handle on the warehouse is
held during the byte copy: DuckDB's file lock keeps any writer out, so the copy is never torn. A rename
is atomic: a reader opens either the old file or the new one, never half of one, and a reader that
already has the old file open keeps reading it (its inode lives until closed). Nothing writes a
published file. The copy costs the warehouse's size on disk (raw tables included), not just the events'.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from clickstream.config import Config
from clickstream.errors import ModelError
from clickstream.fsync import fsync_directory

SNAPSHOT_NAME = "studio.duckdb"
EVENTS_TABLE = "events"
USERS_TABLE = "users"
INFO_TABLE = "snapshot_info"
MART_SCHEMA = "analytics"

logger = logging.getLogger("clickstream.serving")


def snapshot_path(config: Config) -> Path:
    """Where the newest serving snapshot is (``<home>/serving/studio.duckdb``)."""
    return config.home / "serving" / SNAPSHOT_NAME


@dataclass(frozen=True)
class Published:
    path: Path
    events: int
    seconds: float


def publish_snapshot(config: Config, warehouse: Path | None = None) -> Published:
    """Copy the DuckDB warehouse into a new snapshot with the Studio's views and swap it in atomically."""
    started = time.perf_counter()
    source = warehouse or config.warehouse_path
    target = snapshot_path(config)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    # Publishers run under the pipeline lock, so any other temporary file is a killed publisher's: remove it.
    for leftover in target.parent.glob(f".{target.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(source), read_only=True):  # a writer cannot open the file until we are done
            shutil.copyfile(source, temporary)
            wal = source.with_name(source.name + ".wal")  # commits not yet checkpointed into the file
            if wal.exists():
                shutil.copyfile(wal, temporary.with_name(temporary.name + ".wal"))
        with duckdb.connect(str(temporary)) as connection:
            connection.execute(f"create view main.{EVENTS_TABLE} as select * from {MART_SCHEMA}.fct_events")
            has_users = connection.execute(
                f"select count(*) from duckdb_tables() where schema_name = '{MART_SCHEMA}' and table_name = 'dim_users'"
            ).fetchone()
            if has_users is not None and has_users[0]:  # user attributes, for conditions on users
                connection.execute(f"create view main.{USERS_TABLE} as select * from {MART_SCHEMA}.dim_users")
            connection.execute(
                f"create table main.{INFO_TABLE} as select now() as published_at, count(*) as events, "
                f"max(event_timestamp) as newest_event from main.{EVENTS_TABLE}"
            )
            row = connection.execute(f"select events from main.{INFO_TABLE}").fetchone()
            connection.execute("checkpoint")  # the WAL (ours and any copied) into the file: readers open one file
    except (duckdb.Error, OSError) as error:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise ModelError(
            f"cannot publish the Studio snapshot from {source}: {error}",
            hint="run `clickstream model` first (the snapshot copies the warehouse with analytics.fct_events)",
        ) from None
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    temporary.replace(target)  # atomic: readers see the old file or the new one
    fsync_directory(target.parent)
    assert row is not None
    published = Published(target, int(row[0]), time.perf_counter() - started)
    logger.info("serving snapshot published", extra={"path": str(target), "events": published.events})
    return published

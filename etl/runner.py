"""The local runner: every raw file not yet processed -> Parquet under ``processed/`` and ``rejected/``.

A raw file's outputs are named from its input id and written atomically; a done marker under
``etl-state/done/`` is written last. So a file is never processed twice, and a crash half-way simply
rewrites the same names on the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from clickstream.contract import (
    ETL_STATE_DIR,
    EVENT_V2,
    ITEM_V2,
    RAW_DIR,
    RAW_FILE_SUFFIX,
    REJECTED,
    USER_V2,
    Table,
    input_id,
    processed_file,
    rejected_file,
    rows_to_arrow,
)
from clickstream.storage import Storage
from etl.batch import BatchSettings, transform_raw_file


@dataclass
class EtlResult:
    """What one ETL run did."""

    files_seen: int = 0
    files_processed: int = 0
    records: int = 0
    events: int = 0
    items: int = 0
    users: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    output_files: int = 0
    seconds: float = 0.0


def done_marker(source_id: str) -> PurePosixPath:
    return PurePosixPath(ETL_STATE_DIR, "done", f"{source_id}.json")


def pending_raw_files(storage: Storage) -> tuple[int, list[str]]:
    """(how many raw files exist, the ones not processed yet)."""
    raw = storage.list_files(RAW_DIR, RAW_FILE_SUFFIX)
    done = {Path(stored.path).stem for stored in storage.list_files(PurePosixPath(ETL_STATE_DIR, "done"), ".json")}
    return len(raw), [stored.path for stored in raw if input_id(stored.path) not in done]


def process_file(root: str, raw_path: str, project_id: str, app_ids: list[str]) -> dict[str, Any]:
    """Process one raw file and write its outputs; returns counts (runs in a worker process)."""
    storage = Storage(root)
    source_id = input_id(raw_path)
    settings = BatchSettings(project_id, frozenset(app_ids), datetime.now(UTC))
    output = transform_raw_file(storage.read_bytes(raw_path), raw_path, source_id, settings)
    written = []
    for table, rows in ((EVENT_V2, output.events), (ITEM_V2, output.items), (USER_V2, output.users)):
        written += _write_partitioned(storage, table, rows, source_id)
    reasons: dict[str, int] = {}
    for reject in output.rejects:
        reasons[reject["reason"]] = reasons.get(reject["reason"], 0) + 1
    for reason in reasons:
        path = rejected_file(reason, source_id)
        storage.write_parquet(path, rows_to_arrow(REJECTED, [r for r in output.rejects if r["reason"] == reason]))
        written.append(str(path))
    summary = {
        "source": raw_path,
        "records": output.records,
        "events": len(output.events),
        "items": len(output.items),
        "users": len(output.users),
        "rejected": reasons,
        "outputs": written,
        "processed_at": settings.process_time.isoformat(),
    }
    storage.write_bytes(done_marker(source_id), orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary


def _write_partitioned(storage: Storage, table: Table, rows: list[dict[str, Any]], source_id: str) -> list[str]:
    groups: dict[tuple[str, date], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["app_id"], row["event_timestamp"].date()), []).append(row)
    written = []
    for (app_id, day), group in sorted(groups.items()):
        path = processed_file(table.name, app_id, day, source_id)
        storage.write_parquet(path, rows_to_arrow(table, group))
        written.append(str(path))
    return written


def run_etl(
    root: str | Path,
    project_id: str,
    app_ids: list[str],
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> EtlResult:
    """Process every pending raw file under ``root``; ``on_progress(done, total)`` after each file."""
    started = time.perf_counter()
    storage = Storage(root)
    result = EtlResult()
    result.files_seen, pending = pending_raw_files(storage)
    if on_progress:
        on_progress(0, len(pending))
    summaries: list[dict[str, Any]] = []
    if workers > 1 and len(pending) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(process_file, storage.root, path, project_id, app_ids) for path in pending]
            for future in as_completed(futures):
                summaries.append(future.result())
                if on_progress:
                    on_progress(len(summaries), len(pending))
    else:
        for path in pending:
            summaries.append(process_file(storage.root, path, project_id, app_ids))
            if on_progress:
                on_progress(len(summaries), len(pending))
    for summary in summaries:
        result.files_processed += 1
        result.records += summary["records"]
        result.events += summary["events"]
        result.items += summary["items"]
        result.users += summary["users"]
        result.output_files += len(summary["outputs"])
        for reason, count in summary["rejected"].items():
            result.rejected += count
            result.rejected_by_reason[reason] = result.rejected_by_reason.get(reason, 0) + count
    result.seconds = time.perf_counter() - started
    return result

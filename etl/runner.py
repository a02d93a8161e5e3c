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
    ignored_files: list[str] = field(default_factory=list)
    failed_files: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def done_marker(source_id: str) -> PurePosixPath:
    return PurePosixPath(ETL_STATE_DIR, "done", f"{source_id}.json")


def _input_id_or_none(path: str) -> str | None:
    try:
        return input_id(path)
    except ValueError:
        return None


def pending_raw_files(storage: Storage) -> tuple[list[str], list[str]]:
    """(raw files not processed yet, files under raw/ outside the hour-folder layout, which are ignored)."""
    raw = storage.list_files(RAW_DIR, RAW_FILE_SUFFIX)
    done = {Path(stored.path).stem for stored in storage.list_files(PurePosixPath(ETL_STATE_DIR, "done"), ".json")}
    pending, ignored = [], []
    for stored in raw:
        source = _input_id_or_none(stored.path)
        if source is None:
            ignored.append(stored.path)
        elif source not in done:
            pending.append(stored.path)
    return pending, ignored


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
    """Process every pending raw file under ``root``; ``on_progress(done, total)`` after each file.

    A file whose processing fails is reported in ``failed_files`` and left pending for the next run;
    the other files are processed regardless.
    """
    started = time.perf_counter()
    storage = Storage(root)
    result = EtlResult()
    pending, result.ignored_files = pending_raw_files(storage)
    result.files_seen = len(pending)
    if on_progress:
        on_progress(0, len(pending))

    def finished(path: str, summary: dict[str, Any] | None, error: BaseException | None) -> None:
        if error is not None:
            result.failed_files[path] = f"{type(error).__name__}: {error}"
        else:
            assert summary is not None
            _add(result, summary)
        if on_progress:
            on_progress(result.files_processed + len(result.failed_files), len(pending))

    if workers > 1 and len(pending) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(process_file, storage.root, path, project_id, app_ids): path for path in pending}
            for future in as_completed(futures):
                error = future.exception()
                finished(futures[future], None if error else future.result(), error)
    else:
        for path in pending:
            try:
                summary = process_file(storage.root, path, project_id, app_ids)
            except Exception as exc:
                finished(path, None, exc)
            else:
                finished(path, summary, None)
    result.seconds = time.perf_counter() - started
    return result


def _add(result: EtlResult, summary: dict[str, Any]) -> None:
    result.files_processed += 1
    result.records += summary["records"]
    result.events += summary["events"]
    result.items += summary["items"]
    result.users += summary["users"]
    result.output_files += len(summary["outputs"])
    for reason, count in summary["rejected"].items():
        result.rejected += count
        result.rejected_by_reason[reason] = result.rejected_by_reason.get(reason, 0) + count

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
from pathlib import Path, PurePosixPath
from typing import Any

import orjson
import pyarrow as pa

from clickstream.contract import (
    ETL_STATE_DIR,
    EVENT_V2,
    ITEM_V2,
    PROCESSED_DIR,
    RAW_DIR,
    RAW_FILE_SUFFIX,
    USER_V2,
    input_id,
)
from clickstream.etl.batch import raw_lines
from clickstream.etl.gc_pause import gc_paused
from clickstream.etl.plugins import EventPlugin, PluginSpec, load_plugins
from clickstream.etl.process import EtlJob, process_lines
from clickstream.etl.users import UserAccumulator, carry_user_state, mark_users_pending
from clickstream.etl.writer import InputWriter
from clickstream.storage import Storage


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


def pending_raw_files(storage: Storage, reprocess: bool = False) -> tuple[list[str], list[str]]:
    """(raw files not processed yet, or all with ``reprocess``; files under raw/ outside the hour-folder
    layout, which are ignored)."""
    raw = storage.list_files(RAW_DIR, RAW_FILE_SUFFIX)
    done = set()
    if not reprocess:
        done = {Path(stored.path).stem for stored in storage.list_files(PurePosixPath(ETL_STATE_DIR, "done"), ".json")}
    pending, ignored = [], []
    for stored in raw:
        source = _input_id_or_none(stored.path)
        if source is None:
            ignored.append(stored.path)
        elif source not in done:
            pending.append(stored.path)
    return pending, ignored


_CHAINS: dict[str, list[EventPlugin]] = {}


def _plugin_chain(specs: tuple[PluginSpec, ...]) -> list[EventPlugin]:
    """The chain, built once per worker process (enrichers load databases and rule tables)."""
    key = repr(specs)
    if key not in _CHAINS:
        _CHAINS[key] = load_plugins(specs)
    return _CHAINS[key]


def process_file(root: str, raw_path: str, job: EtlJob) -> dict[str, Any]:
    """Process one raw file and write its outputs; returns counts (runs in a worker process).

    The outputs of an earlier processing of the same input that this one did not rewrite are deleted,
    so re-processing replaces an input's outputs, never adds to them.
    """
    storage = Storage(root)
    source_id = input_id(raw_path)
    plugins = _plugin_chain(job.plugins)
    users = UserAccumulator()
    records = 0
    reasons: dict[str, int] = {}
    # No garbage collection while the input is processed (see etl.gc_pause): not while transforming, nor
    # while enriching and writing, which run between the transform's chunks.
    with gc_paused(), storage.open_input(raw_path) as stream, InputWriter(storage, source_id) as writer:
        lines = raw_lines(stream, job.settings.payload_limits.max_decoded_bytes)
        for chunk in process_lines(lines, raw_path, source_id, job, plugins, users):
            records += chunk.records
            writer.write(EVENT_V2, chunk.events)
            writer.write(ITEM_V2, chunk.items)
            writer.write_rejects(chunk.rejects)
            for reject in chunk.rejects:
                reasons[reject["reason"]] = reasons.get(reject["reason"], 0) + 1
        user_rows = users.table(job.settings)
        writer.write(USER_V2, user_rows)
    user_v2_prefix = f"{PurePosixPath(PROCESSED_DIR, USER_V2.name)}/"
    mark_users_pending(storage, source_id, users, [path for path in writer.paths if path.startswith(user_v2_prefix)])
    marker = done_marker(source_id)
    if storage.exists(marker):
        previous = orjson.loads(storage.read_bytes(marker)).get("outputs", [])
        for stale in sorted(set(previous) - set(writer.paths)):
            storage.delete(stale)
    summary = {
        "source": raw_path,
        "records": records,
        "events": writer.rows.get(EVENT_V2.name, 0),
        "items": writer.rows.get(ITEM_V2.name, 0),
        "users": user_rows.num_rows,
        "rejected": reasons,
        "outputs": writer.paths,
        "processed_at": job.settings.process_time.isoformat(),
    }
    storage.write_bytes(marker, orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary


def run_etl(
    root: str | Path,
    job: EtlJob,
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    reprocess: bool = False,
) -> EtlResult:
    """Process every pending raw file under ``root`` (every raw file with ``reprocess``);
    ``on_progress(done, total)`` after each file. Then the processed inputs' ``user_v2`` rows take their
    users' state over every run (:func:`clickstream.etl.users.carry_user_state`).

    A file whose processing fails is reported in ``failed_files`` and left pending for the next run;
    the other files are processed regardless.
    """
    started = time.perf_counter()
    storage = Storage(root)
    result = EtlResult()
    _plugin_chain(
        job.plugins
    )  # a misconfigured chain is a config error before any work starts; forked workers reuse it
    pending, result.ignored_files = pending_raw_files(storage, reprocess)
    result.files_seen = len(pending)
    if on_progress:
        on_progress(0, len(pending))

    def finished(path: str, summary: dict[str, Any] | None, error: BaseException | None) -> None:
        if error is not None:
            result.failed_files[path] = f"{type(error).__name__}: {error}"
        else:
            assert summary is not None
            add_summary(result, summary)
        if on_progress:
            on_progress(result.files_processed + len(result.failed_files), len(pending))

    if workers > 1 and len(pending) > 1:
        _import_lazy_modules()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(process_file, storage.root, path, job): path for path in pending}
            for future in as_completed(futures):
                error = future.exception()
                finished(futures[future], None if error else future.result(), error)
    else:
        for path in pending:
            try:
                summary = process_file(storage.root, path, job)
            except Exception as exc:
                finished(path, None, exc)
            else:
                finished(path, summary, None)
    carry_user_state(storage)
    result.seconds = time.perf_counter() - started
    return result


def _import_lazy_modules() -> None:
    """Do once, before the pool forks its workers, the imports the first conversion makes lazily: pyarrow
    imports pandas on its first Python-to-Arrow conversion, a fixed cost every worker would otherwise pay
    for on its own."""
    pa.array([""], pa.string(), from_pandas=False)


def add_summary(result: EtlResult, summary: dict[str, Any]) -> None:
    """Count one processed file (the summary :func:`process_file` returned) into ``result``."""
    result.files_processed += 1
    result.records += summary["records"]
    result.events += summary["events"]
    result.items += summary["items"]
    result.users += summary["users"]
    result.output_files += len(summary["outputs"])
    for reason, count in summary["rejected"].items():
        result.rejected += count
        result.rejected_by_reason[reason] = result.rejected_by_reason.get(reason, 0) + count

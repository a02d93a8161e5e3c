"""Chunks of rows -> one Parquet file per table, app and day (and per reject reason) of one input.

Files are named from the input id (``clickstream.contract.processed_file``), so processing the same input
again writes the same names. Each file is streamed row group by row group into an atomic output and
appears only when the whole input has been written; on an error nothing appears.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from pathlib import PurePosixPath
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from clickstream.contract import REJECTED, Table, processed_file, rejected_file, rows_to_arrow
from clickstream.etl.values import truncate_utf8
from clickstream.storage import Storage

_EPOCH = date(1970, 1, 1)


class InputWriter:
    """The output files of one input; use as a context manager, files are committed on a clean exit."""

    def __init__(self, storage: Storage, source_id: str) -> None:
        self.storage = storage
        self.source_id = source_id
        self._stack = ExitStack()
        self._writers: dict[PurePosixPath, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def __enter__(self) -> InputWriter:
        self._stack.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if exc_info[0] is None:
                for writer in self._writers.values():
                    writer.close()
        finally:
            self._stack.__exit__(*exc_info)

    @property
    def paths(self) -> list[str]:
        return sorted(str(path) for path in self._writers)

    def write(self, table: Table, data: pa.Table) -> None:
        """Append rows of a processed table, split by app and UTC day of ``event_timestamp``."""
        if data.num_rows == 0:
            return
        data = data.select(table.column_names)
        apps = pc.dictionary_encode(data.column("app_id")).combine_chunks()
        days = pc.cast(data.column("event_timestamp"), pa.date32()).cast(pa.int32())
        keys = pc.add(pc.multiply(pc.cast(apps.indices, pa.int64()), 1 << 32), pc.cast(days, pa.int64()))
        # One stable sort by (app, day), then zero-copy slices: each row is copied once, however many
        # partitions the chunk spans, and keeps its input order within its partition. The transform
        # already groups a chunk's rows so (``clickstream.etl.batch``); then the copy, the writer's largest
        # cost, is skipped.
        if not _ascending(keys):
            order = pc.sort_indices(keys)
            data, keys = data.take(order), keys.take(order)
        start = 0
        for key, length in _runs(keys):
            app_id = apps.dictionary[key >> 32].as_py()
            day = date.fromordinal(_EPOCH.toordinal() + (key & 0xFFFFFFFF))
            self._append(processed_file(table.name, app_id, day, self.source_id), table, data.slice(start, length))
            start += length

    def write_rejects(self, rejects: list[dict[str, Any]]) -> None:
        """Append rejects, one file per reason."""
        by_reason: dict[str, list[dict[str, Any]]] = {}
        for reject in rejects:
            by_reason.setdefault(reject["reason"], []).append(reject)
        for reason, rows in sorted(by_reason.items()):
            self._append(rejected_file(reason, self.source_id), REJECTED, _fit_warehouse(rows_to_arrow(REJECTED, rows)))

    def _append(self, path: PurePosixPath, table: Table, data: pa.Table) -> None:
        writer = self._writers.get(path)
        schema = table.schema
        if writer is None:
            sink: BinaryIO = self._stack.enter_context(self.storage.atomic_output(path))
            writer = self._writers[path] = pq.ParquetWriter(sink, schema, compression="snappy")
        writer.write_table(data.cast(schema))
        self.rows[table.name] = self.rows.get(table.name, 0) + data.num_rows


def _ascending(keys: pa.Array) -> bool:
    count = len(keys)
    return count < 2 or bool(pc.all(pc.less_equal(keys.slice(0, count - 1), keys.slice(1))).as_py())


def _runs(sorted_keys: pa.Array) -> list[tuple[int, int]]:
    """(key, number of rows) of each run of equal keys in an ascending array, in order."""
    counts = pc.value_counts(sorted_keys)
    return sorted(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))


def _fit_warehouse(rejects: pa.Table) -> pa.Table:
    """Cut reject strings to their column's size, always: a reject must load anywhere (Redshift's COPY from
    Parquet cannot truncate), and a cut payload loses nothing, since the raw file keeps the record whole."""
    for index, name in enumerate(rejects.column_names):
        max_bytes = REJECTED.column(name).max_bytes
        if max_bytes is not None and rejects.schema.field(index).type == pa.string():
            rejects = rejects.set_column(index, name, truncate_utf8(rejects.column(index).combine_chunks(), max_bytes))
    return rejects

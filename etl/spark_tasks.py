"""What a Spark task runs: raw file paths in, one summary row per file out (executor side).

Kept apart from the driver code so Spark pickles :func:`process_paths` by reference (module and name)
rather than by value: every executor then runs exactly the module the local runner runs, and this
module imports nothing from pyspark.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import orjson
import pyarrow as pa

from clickstream.etl.process import EtlJob
from clickstream.etl.runner import process_file

log = logging.getLogger(__name__)

PATH_SCHEMA = pa.schema([pa.field("path", pa.string())])
SUMMARY_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string()),
        pa.field("summary", pa.string()),  # process_file's counts as JSON; null when the file failed
        pa.field("error", pa.string()),  # "ExceptionType: message"; null when the file was processed
    ]
)
# The same schema as a Spark DDL string, for DataFrame.mapInArrow.
SUMMARY_DDL = "path string, summary string, error string"


def process_paths(batches: Iterator[pa.RecordBatch], root: str, job: EtlJob) -> Iterator[pa.RecordBatch]:
    """Process each raw file named in ``batches`` (column ``path``) with the local runner's
    :func:`clickstream.etl.runner.process_file`, yielding one summary row per file as soon as it is done.

    A file that fails is reported in ``error`` and gets no done marker, so it stays pending; the task
    goes on with its other files. Only a crash of the worker itself fails the task.
    """
    for batch in batches:
        for path in batch.column("path").to_pylist():
            summary: str | None = None
            error: str | None = None
            try:
                summary = orjson.dumps(process_file(root, path, job)).decode()
            except Exception as exc:
                log.exception("etl: failed %s", path)
                error = f"{type(exc).__name__}: {exc}"
            yield pa.record_batch([[path], [summary], [error]], schema=SUMMARY_SCHEMA)

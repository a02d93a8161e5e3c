"""The collector's write-ahead log: a request's record is durable in a local segment before its 200.

:class:`WriteAheadLog` (:mod:`.log`) composes the parts, one job each: :mod:`.segments` (names,
opening, writing and sealing a segment), :mod:`.recovery` (the folder's lock and sealing what a crash
left open), :mod:`.spares` (pre-allocated segment files), and one commit strategy per mode:
:mod:`.loop_commit` (on the event loop, the default) and :mod:`.thread_commit` (on writer threads).
The names below are the ones callers import from ``clickstream.ingestion.wal``.
"""

from clickstream.ingestion.wal.log import DEFAULT_GATHER_SECONDS, DEFAULT_WRITERS, WriteAheadLog
from clickstream.ingestion.wal.recovery import LOCK
from clickstream.ingestion.wal.segments import OPEN_SUFFIX, SEALED_SUFFIX, Committed, segment_opened_ms
from clickstream.ingestion.wal.spares import SPARE_PREFIX

__all__ = [
    "DEFAULT_GATHER_SECONDS",
    "DEFAULT_WRITERS",
    "LOCK",
    "OPEN_SUFFIX",
    "SEALED_SUFFIX",
    "SPARE_PREFIX",
    "Committed",
    "WriteAheadLog",
    "segment_opened_ms",
]

"""Ingestion: the collector, which takes the SDKs' HTTP requests and stores them durably.

Requests become raw records (``clickstream.contract.RAW_RECORD_FIELDS``) appended to a write-ahead log
on local disk; a request is answered 200 only after its record is fsync'd. A shipper moves sealed log
segments to the sink as gzip JSON-lines files under ``raw/year=/month=/day=/hour=/``.

Public API, for the CLI, the pipeline and the tests (the modules behind it may move):

* :func:`serve`: run the collector (``clickstream serve``) until SIGTERM/SIGINT;
* :func:`build_app` and :class:`CollectorApp`: one collector worker, the ASGI application;
* :func:`build_sink`, :class:`Sink` and :func:`ship_segments`: where sealed segments go, and shipping them;
* :class:`WriteAheadLog`: the log a worker appends to.

Each name is imported on first use, so importing the package loads none of its modules.
"""

from typing import TYPE_CHECKING

from clickstream.exports import lazy_exports

if TYPE_CHECKING:
    from clickstream.ingestion.app import CollectorApp
    from clickstream.ingestion.server import build_app, serve
    from clickstream.ingestion.shipper import ship_segments
    from clickstream.ingestion.sinks import Sink, build_sink
    from clickstream.ingestion.wal import WriteAheadLog

__all__ = ["CollectorApp", "Sink", "WriteAheadLog", "build_app", "build_sink", "serve", "ship_segments"]

__getattr__ = lazy_exports(
    __name__,
    {
        "clickstream.ingestion.app": "CollectorApp",
        "clickstream.ingestion.server": "build_app serve",
        "clickstream.ingestion.shipper": "ship_segments",
        "clickstream.ingestion.sinks": "Sink build_sink",
        "clickstream.ingestion.wal": "WriteAheadLog",
    },
)

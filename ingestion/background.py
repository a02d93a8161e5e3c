"""A collector worker's background work: start-up, the shipping and reporting loops, and shutdown.

Beside the requests, a worker keeps two loops: one ships the log's sealed segments to the sink every
``ship_interval_seconds``, the other refreshes the log gauges and publishes this worker's metrics
snapshot every second (for ``GET /metrics`` on the other workers, see :mod:`clickstream.ingestion.metrics`).
Start-up recovers the log and ships what an earlier run left before any request is taken; shutdown
commits, seals and ships everything, then releases the log folder. The protocol
(:mod:`clickstream.ingestion.app`) reads only :attr:`Background.ship_error` and the gauges.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from clickstream.ingestion import metrics as prom
from clickstream.ingestion.adoption import remove_emptied_folder
from clickstream.ingestion.limits import ByteBudget
from clickstream.ingestion.shipper import Sink, ship_segments
from clickstream.ingestion.wal import WriteAheadLog

logger = logging.getLogger("clickstream.ingestion")

REPORT_INTERVAL_SECONDS = 1.0


class Background:
    """One worker's log life cycle and the loops that ship its segments and publish its metrics."""

    def __init__(
        self,
        wal: WriteAheadLog,
        sink: Sink,
        metrics: prom.WorkerMetrics,
        inflight: ByteBudget,
        *,
        home: Path,
        ship_interval: float,
        shared_log: bool,
        refresh_apps: Callable[[], None] | None = None,
        apps_interval: float = 5.0,
    ) -> None:
        self.wal = wal
        self.sink = sink
        self.metrics = metrics
        self.inflight = inflight
        self.home = home
        self.worker = metrics.worker
        self.ship_interval = ship_interval
        self.shared_log = shared_log  # a folder of the fleet's log root, removed when emptied
        self.refresh_apps = refresh_apps
        self.apps_interval = apps_interval
        self.ship_error: BaseException | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._committer: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        """Carry on the previous counters, recover and ship the log, then start the committer and the loops."""
        previous = prom.read_snapshot(self.home, self.worker)
        if previous is not None:
            self.metrics.restore(previous)  # restarted by the supervisor: counters carry on
        self.wal.recover()
        await self.ship_sealed()
        self._committer = asyncio.create_task(self.wal.run_committer())
        await self.take_apps()
        self._tasks = [asyncio.create_task(self._ship_forever()), asyncio.create_task(self._report_forever())]
        if self.refresh_apps is not None:
            self._tasks.append(asyncio.create_task(self._apps_forever()))

    async def stop(self) -> None:
        """Commit what is queued, seal the open segments, ship everything, then release the log folder.

        The folder stays locked until its last shipment has returned: an adopter (ingestion/adoption.py)
        can take an unlocked folder at any moment, and would otherwise ship the same segments again.
        """
        self.wal.stop()
        if self._committer is not None:
            await self._committer
        self._stop.set()
        for task in self._tasks:
            await task  # lets a shipment under way finish rather than racing it
        self.wal.seal_all()
        await self.ship_sealed()
        if self.shared_log and not self.wal.sealed_segments():
            remove_emptied_folder(self.wal.directory, self.wal.release)
        self.wal.release()
        self.report()

    async def ship_sealed(self) -> None:
        """Ship sealed segments; a failure is logged and kept for /health, and retried next time."""
        segments = self.wal.sealed_segments()
        if not segments:
            return
        try:
            self.metrics.shipped_records += await asyncio.to_thread(
                ship_segments, segments, self.sink, self.worker, self.wal.sealed_records
            )
        except Exception as exc:
            self.ship_error = exc
            self.metrics.ship_failures += 1
            logger.exception("shipping sealed log segments failed; will retry", extra={"worker": self.worker})
        else:
            self.ship_error = None
        finally:
            self.wal.refresh_sealed_bytes()

    def report(self) -> None:
        """Refresh the gauges and publish this worker's numbers for /metrics on the other workers."""
        self.refresh_gauges()
        try:
            prom.write_snapshot(self.home, self.metrics)
        except OSError:
            logger.warning("cannot write the metrics snapshot", extra={"worker": self.worker})

    def refresh_gauges(self) -> None:
        """Set the log depth, ship lag and in-flight gauges from their current values."""
        oldest = self.wal.oldest_unshipped_ms()
        self.metrics.gauges = {
            "wal_backlog_bytes": float(self.wal.backlog_bytes),
            "wal_sealed_segments": float(len(self.wal.sealed_segments())),
            "ship_lag_seconds": 0.0 if oldest is None else max(0.0, time.time() - oldest / 1000),
            "inflight_bytes": float(self.inflight.used),
        }

    async def _ship_forever(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.ship_interval)
            if not self._stop.is_set():
                await self.ship_sealed()

    async def take_apps(self) -> None:
        """Re-read the live app list; when the database cannot be read, the last list stays and it is logged."""
        if self.refresh_apps is None:
            return
        try:
            await asyncio.to_thread(self.refresh_apps)
        except Exception:
            logger.warning("cannot read the live app list; keeping the last one", exc_info=True,
                           extra={"worker": self.worker})  # fmt: skip

    async def _apps_forever(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.apps_interval)
            if not self._stop.is_set():
                await self.take_apps()

    async def _report_forever(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=REPORT_INTERVAL_SECONDS)
            self.report()

"""Prometheus metrics across worker processes, from per-worker snapshot files.

Each worker counts in plain Python numbers (an increment on the request path costs nanoseconds, not a
lock and an mmap write) and writes a JSON snapshot to ``<home>/run/metrics/<worker>.json`` every second
and when it stops. ``GET /metrics`` may land on any worker: it merges its own live numbers with the
other workers' latest snapshots. Counters and the latency histogram are summed over workers; gauges
(log depth, ship lag) keep a ``worker`` label, since a sum of lags means nothing.

A worker restarted by the supervisor starts from its previous snapshot, so counters never go down
while the collector runs; a new collector run starts from zero (the supervisor clears the folder).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

METRICS_DIR = Path("run") / "metrics"
LATENCY_BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


class WorkerMetrics:
    """One worker's counters and histogram, plus the gauges it reports about its log."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.requests: Counter[int] = Counter()  # by status code
        self.refusals: Counter[str] = Counter()  # by reason
        self.received_bytes = 0
        self.stored_records = 0
        self.shipped_records = 0
        self.ship_failures = 0
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.gauges: dict[str, float] = {}

    def observe_ack(self, seconds: float) -> None:
        self.latency_counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum += seconds

    def snapshot(self) -> dict[str, Any]:
        return {
            "worker": self.worker,
            "requests": {str(status): count for status, count in self.requests.items()},
            "refusals": dict(self.refusals),
            "received_bytes": self.received_bytes,
            "stored_records": self.stored_records,
            "shipped_records": self.shipped_records,
            "ship_failures": self.ship_failures,
            "latency_counts": self.latency_counts,
            "latency_sum": self.latency_sum,
            "gauges": self.gauges,
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Continue from a previous snapshot of the same worker (after a restart)."""
        self.requests.update({int(status): int(count) for status, count in snapshot.get("requests", {}).items()})
        self.refusals.update(snapshot.get("refusals", {}))
        self.received_bytes += int(snapshot.get("received_bytes", 0))
        self.stored_records += int(snapshot.get("stored_records", 0))
        self.shipped_records += int(snapshot.get("shipped_records", 0))
        self.ship_failures += int(snapshot.get("ship_failures", 0))
        counts = snapshot.get("latency_counts", [])
        if len(counts) == len(self.latency_counts):
            self.latency_counts = [a + int(b) for a, b in zip(self.latency_counts, counts, strict=True)]
            self.latency_sum += float(snapshot.get("latency_sum", 0.0))


def snapshot_path(home: Path, worker: str) -> Path:
    return home / METRICS_DIR / f"{worker}.json"


def write_snapshot(home: Path, metrics: WorkerMetrics) -> None:
    """Replace the worker's snapshot file atomically (readers never see half a file)."""
    target = snapshot_path(home, metrics.worker)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(json.dumps(metrics.snapshot()).encode())
    temporary.replace(target)


def read_snapshot(home: Path, worker: str) -> dict[str, Any] | None:
    try:
        data = json.loads(snapshot_path(home, worker).read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def clear_snapshots(home: Path) -> None:
    """Forget the previous collector run's numbers (called once by the process that starts the workers)."""
    folder = home / METRICS_DIR
    for stale in folder.glob("*.json"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


class _Merged(Collector):
    def __init__(self, snapshots: list[dict[str, Any]]) -> None:
        self.snapshots = snapshots

    def collect(self) -> Iterator[Metric]:
        snaps = self.snapshots
        requests = CounterMetricFamily(
            "clickstream_http_requests", "HTTP requests answered, by status code.", labels=["status"]
        )
        for status, value in sorted(_sum_maps(s.get("requests", {}) for s in snaps).items()):
            requests.add_metric([status], value)
        yield requests
        refusals = CounterMetricFamily(
            "clickstream_refused_requests", "Requests answered with an error, by reason.", labels=["reason"]
        )
        for reason, value in sorted(_sum_maps(s.get("refusals", {}) for s in snaps).items()):
            refusals.add_metric([reason], value)
        yield refusals
        for key, name, text in (
            ("received_bytes", "clickstream_received_bytes", "Request body bytes of accepted requests."),
            ("stored_records", "clickstream_stored_records", "Raw records appended to the write-ahead log."),
            ("shipped_records", "clickstream_shipped_records", "Raw records the sink confirmed."),
            ("ship_failures", "clickstream_ship_failures", "Shipping attempts that failed (retried later)."),
        ):
            yield CounterMetricFamily(name, text, value=sum(float(s.get(key, 0)) for s in snaps))
        counts = [0] * (len(LATENCY_BUCKETS) + 1)
        for snap in snaps:
            for index, value in enumerate(snap.get("latency_counts", [])[: len(counts)]):
                counts[index] += int(value)
        cumulative, running = [], 0
        for bound, count in zip((*(str(b) for b in LATENCY_BUCKETS), "+Inf"), counts, strict=True):
            running += count
            cumulative.append((bound, float(running)))
        yield HistogramMetricFamily(
            "clickstream_ack_latency_seconds",
            "Time from a collect request's headers to its 200 (includes the fsync).",
            buckets=cumulative,
            sum_value=sum(float(s.get("latency_sum", 0.0)) for s in snaps),
        )
        for key, name, text in (
            ("wal_backlog_bytes", "clickstream_wal_backlog_bytes", "Bytes in the write-ahead log not yet shipped."),
            ("wal_sealed_segments", "clickstream_wal_sealed_segments", "Sealed segments waiting for the sink."),
            ("ship_lag_seconds", "clickstream_ship_lag_seconds", "Age of the oldest record not yet shipped."),
            ("inflight_bytes", "clickstream_inflight_body_bytes", "Request body bytes held in memory now."),
        ):
            gauge = GaugeMetricFamily(name, text, labels=["worker"])
            for snap in snaps:
                if key in snap.get("gauges", {}):
                    gauge.add_metric([str(snap.get("worker"))], float(snap["gauges"][key]))
            yield gauge


def _sum_maps(maps: Iterable[dict[str, Any]]) -> dict[str, float]:
    total: Counter[str] = Counter()
    for mapping in maps:
        for key, value in mapping.items():
            total[str(key)] += int(value)
    return {key: float(value) for key, value in total.items()}


def render(own: WorkerMetrics, home: Path, peers: Iterable[str]) -> bytes:
    """The Prometheus text exposition of this worker's live numbers and its peers' snapshots."""
    snapshots = [own.snapshot()]
    for worker in peers:
        if worker != own.worker:
            snapshot = read_snapshot(home, worker)
            if snapshot is not None:
                snapshots.append(snapshot)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Merged(snapshots))
    return bytes(generate_latest(registry))

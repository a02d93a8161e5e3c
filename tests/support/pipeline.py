"""A home whose pipeline has run: one good cycle over a day of traffic and two corrupt raw lines, then a
cycle whose load fails on a broken processed file. The pipeline page's tests read it."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clickstream.config import Config
from clickstream.pipeline.cycle import run_cycle
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import write_raw
from clickstream.storage import Storage
from tests.support.config import make_config

CLOSED_PORT_METRICS = "http://127.0.0.1:9/metrics"  # the discard port: nothing answers


def pipeline_config(folder: Path, **pipeline: Any) -> Config:
    """A home in ``folder`` with one app, and ``studio.pipeline`` set from ``pipeline``."""
    return make_config(
        folder / "home", apps=[{"id": "shop"}], etl={"freshness_hours": None, "workers": 1},
        studio={"pipeline": {"collector_metrics_url": CLOSED_PORT_METRICS, **pipeline}},
    )  # fmt: skip


def home_with_two_cycles(folder: Path) -> Config:
    config = pipeline_config(folder)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    storage = Storage(config.home)
    write_raw(iter_requests(SimulationSpec(users=5, days=1, seed=3, app_ids=("shop",), end=end)), storage)
    storage.write_bytes("raw/year=2024/month=01/day=01/hour=00/bad-1.jsonl.gz", gzip.compress(b"{not json\n[1,\n"))
    assert run_cycle(config).ok
    broken = config.home / "processed" / "event_v2" / "partition_app=shop" / "broken.parquet"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"not parquet")
    assert not run_cycle(config).ok
    return config

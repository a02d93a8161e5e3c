"""The demo: a fresh folder, the collector, simulated traffic over HTTP, then one cycle; it prints nothing."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from clickstream.config import Config, load_config
from clickstream.errors import ClickstreamError, InputError
from clickstream.pipeline.cycle import run_cycle
from clickstream.pipeline.observer import CycleObserver
from clickstream.pipeline.results import CycleReport
from clickstream.pipeline.steps import mart_counts
from clickstream.ports import free_port
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import SimulationStats, send_http

DEMO_MARKER = ".clickstream-demo"


class DemoObserver(CycleObserver):
    """What the demo reports besides its cycle: the folder it starts in and the traffic it sent."""

    def demo_started(self, workdir: Path, config: Config) -> None:
        """The demo works in ``workdir`` (emptied or new), with ``config`` (written there)."""

    def simulated(self, sent: SimulationStats) -> None:
        """The simulated traffic reached the collector."""


@dataclass
class DemoResult:
    workdir: Path
    sent: SimulationStats
    counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    dashboards: list[Path] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return (
            self.counts["fct_events"] == self.sent.events
            and self.counts["fct_sessions"] == len(self.sent.sessions)
            and self.counts["dim_users"] == len(self.sent.users)
        )


def prepare_workdir(workdir: Path) -> Path:
    """Empty ``workdir`` if an earlier demo made it; refuse to touch any other non-empty folder."""
    workdir = workdir.resolve()
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / DEMO_MARKER).exists():
            raise InputError(
                f"{workdir} exists and was not made by `clickstream demo`", hint="pass --dir with a new or empty folder"
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / DEMO_MARKER).write_text("made by clickstream demo; safe to delete\n")
    return workdir


def write_demo_config(workdir: Path, port: int) -> Path:
    path = workdir / "clickstream.yml"
    document = {
        "home": ".",
        "project_id": "clickstream_demo",
        "apps": [{"id": "shop", "timezone": "UTC"}],
        "ingestion": {
            "host": "127.0.0.1",
            "port": port,
            "trusted_proxies": ["127.0.0.1/32"],
            "segment_max_age_seconds": 30,
        },
        # The simulator sends days of history at once, so the 72-hour freshness limit would reject most of it.
        "etl": {"workers": 2, "freshness_hours": None},
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ClickstreamError("the collector exited during start-up", hint="run `clickstream serve` to see why")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise ClickstreamError(f"the collector did not become healthy at {url} within {timeout:.0f}s")


def start_server(config_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "clickstream", "--config", str(config_path), "serve", "--log-level", "warning"]
    )


def stop_server(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM, then wait: the collector seals and ships its log on the way out."""
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise ClickstreamError("the collector did not stop in time") from None
    if code not in (0, -signal.SIGTERM):  # uvicorn re-raises SIGTERM after a clean shutdown
        raise ClickstreamError(f"the collector exited with code {code}")


def run_demo(workdir: Path, users: int, days: int, seed: int, observer: DemoObserver | None = None) -> DemoResult:
    """Collector, simulated traffic and a cycle in ``workdir``; what was sent and what the marts hold."""
    observer = observer or DemoObserver()
    timings: dict[str, float] = {}
    workdir = prepare_workdir(workdir)
    port = free_port()
    config_path = write_demo_config(workdir, port)
    config: Config = load_config(config_path)
    observer.demo_started(workdir, config)
    started = time.perf_counter()
    server = start_server(config_path)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/health", server)
        timings["server start"] = time.perf_counter() - started
        spec = SimulationSpec(users=users, days=days, seed=seed, app_ids=tuple(config.app_ids))
        requests = list(iter_requests(spec))
        with observer.progress(f"simulate: {users} users over {days} days via HTTP") as update:
            sent = send_http(requests, f"http://127.0.0.1:{port}{config.ingestion.path}",
                             on_progress=lambda stats: update(stats.requests, len(requests)))  # fmt: skip
        timings["simulate (HTTP)"] = sent.seconds
        if sent.failed_requests:
            raise ClickstreamError(f"{sent.failed_requests} requests failed; last error: {sent.last_error}")
        observer.simulated(sent)
    finally:
        stopping = time.perf_counter()
        if server.poll() is None:
            stop_server(server)
        timings["server stop"] = time.perf_counter() - stopping
    cycle = run_cycle(config, observer=observer)
    if not cycle.ok:
        raise ClickstreamError("the pipeline cycle failed", hint="see the stage errors above")
    labels = {"model": "model (dbt build)", "metadata": "metadata export"}
    timings.update({labels.get(stage.name, stage.name): stage.seconds for stage in cycle.stages})
    counts = mart_counts(config.warehouse_path)
    timings["total"] = time.perf_counter() - started
    return DemoResult(workdir, sent, counts, timings, _rendered(cycle))


def _rendered(cycle: CycleReport) -> list[Path]:
    """The offline dashboards the cycle rendered (its `dashboards` stage)."""
    stage = next((stage for stage in cycle.stages if stage.name == "dashboards"), None)
    result = stage.result if stage is not None else None
    return [dashboard.path for dashboard in result] if isinstance(result, list) else []

"""`clickstream serve` with several worker processes: own logs, restarts, graceful SIGTERM, crashes."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from clickstream.contract import WAL_DIR
from tests.support.data import raw_events
from tests.support.loopback import free_port
from tests.support.serve import ServeProcess, write_serve_config


class Load:
    """Threads posting one event per request on keep-alive connections, remembering what got a 200."""

    def __init__(self, port: int, threads: int = 6) -> None:
        self.port = port
        self.acknowledged: set[str] = set()
        self.statuses: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(threads)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"only {len(self.acknowledged)} acknowledged"
            time.sleep(0.02)

    def _send(self, thread: int) -> None:
        connection: http.client.HTTPConnection | None = None
        for n in range(1_000_000):
            if self._stop.is_set():
                return
            event_id = f"t{thread}-{n}"
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("POST", "/collect?appId=shop", body=json.dumps([{"event_id": event_id}]).encode())
                response = connection.getresponse()
                response.read()
            except OSError:
                connection = None
                time.sleep(0.01)  # the server is gone or restarting
                continue
            with self._lock:
                self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
                if response.status == 200:
                    self.acknowledged.add(event_id)


def get_json(port: int, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        document: dict[str, Any] = json.loads(response.read())
    return document


def serving_pids(port: int, expected: int, timeout: float = 60) -> set[int]:
    """The worker processes answering on ``port``, once ``expected`` of them do (each starts on its own)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < expected and time.monotonic() < deadline:
        seen.add(get_json(port, "/health")["pid"])
    return seen


def metric(port: int, line_prefix: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(line_prefix))


def test_workers_share_the_load_each_with_its_own_log_and_stop_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    server = ServeProcess(write_serve_config(tmp_path, port, workers=2), port)
    server.wait_healthy()
    pids = serving_pids(port, 2)
    with Load(port, threads=8) as load:
        load.wait_for(600)
    time.sleep(1.5)  # every worker publishes its numbers each second
    counted = metric(port, 'clickstream_http_requests_total{status="200"}')
    assert server.stop() == 0
    assert len(pids) == 2  # both processes answered
    assert sorted(p.name for p in (tmp_path / "home" / WAL_DIR).iterdir() if p.is_dir()) == ["w0", "w1"]
    assert counted >= len(load.acknowledged)  # the sum over workers, whichever answered /metrics
    stored = {event["event_id"] for event in raw_events(tmp_path / "home")}
    assert load.acknowledged <= stored
    assert not list((tmp_path / "home" / WAL_DIR).rglob("*.seg")) and not list(
        (tmp_path / "home" / WAL_DIR).rglob("*.open")
    )  # SIGTERM shipped everything
    logs = [json.loads(line) for line in server.stderr().splitlines() if line.strip()]
    assert {entry["worker"] for entry in logs} >= {"supervisor", "w0", "w1"}
    assert any(entry["message"] == "collector worker stopped" for entry in logs)


def test_a_worker_that_dies_is_replaced_and_its_log_shipped(tmp_path: Path) -> None:
    port = free_port()
    server = ServeProcess(write_serve_config(tmp_path, port, workers=2, segment_max_age_seconds=3600), port)
    server.wait_healthy()
    serving_pids(port, 2)
    with Load(port) as load:
        load.wait_for(300)
        victim = int(get_json(port, "/health")["pid"])
        os.kill(victim, signal.SIGKILL)
        before = len(load.acknowledged)
        load.wait_for(before + 300)
        serving = serving_pids(port, 2)  # the survivor and the successor
        assert len(serving) == 2 and victim not in serving, "the dead worker was not replaced"
    assert server.stop() == 0
    stored = {event["event_id"] for event in raw_events(tmp_path / "home")}
    assert load.acknowledged <= stored


def test_every_request_answered_200_survives_kill_9_of_the_whole_server(tmp_path: Path) -> None:
    port = free_port()
    config_path = write_serve_config(tmp_path, port, workers=2, segment_max_bytes=20_000)
    server = ServeProcess(config_path, port)
    server.wait_healthy()
    with Load(port, threads=8) as load:
        load.wait_for(1500)
        server.kill_all()  # supervisor and workers, mid-request
        acknowledged = set(load.acknowledged)
    assert len(acknowledged) >= 1500
    wal = tmp_path / "home" / WAL_DIR
    leftovers = list(wal.rglob("*.open")) + list(wal.rglob("*.seg"))
    assert leftovers, "the crash should leave segments for the restart to recover"
    restarted = ServeProcess(config_path, port)
    restarted.wait_healthy()  # recovery seals the open segments and ships every sealed one
    assert restarted.stop() == 0, restarted.stderr()
    stored = [event["event_id"] for event in raw_events(tmp_path / "home")]
    assert acknowledged <= set(stored), restarted.stderr()
    assert len(stored) == len(set(stored))  # nothing shipped twice


def test_each_worker_runs_on_its_own_cpu_unless_told_not_to(tmp_path: Path) -> None:
    allowed = os.sched_getaffinity(0)
    placements = {}
    for pin in (True, False):
        port = free_port()
        server = ServeProcess(write_serve_config(tmp_path / str(pin), port, workers=2, pin_workers=pin), port)
        server.wait_healthy()
        placements[pin] = [os.sched_getaffinity(int(pid)) for pid in serving_pids(port, 2)]
        assert server.stop() == 0
    if len(allowed) >= 2:
        assert all(len(cpus) == 1 for cpus in placements[True])
        assert placements[True][0] != placements[True][1]
    else:  # more workers than CPUs: the kernel places them
        assert placements[True] == [allowed, allowed]
    assert placements[False] == [allowed, allowed]

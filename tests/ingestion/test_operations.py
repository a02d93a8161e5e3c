"""Operations: Prometheus metrics over workers, JSON logs, the lossy memory mode, the Dockerfile."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import re
from pathlib import Path

from clickstream.contract import WAL_DIR
from clickstream.ingestion.logs import JsonFormatter
from clickstream.ingestion.metrics import WorkerMetrics, render, write_snapshot
from clickstream.ingestion.wal import WriteAheadLog
from tests.support.collector import live_collector
from tests.support.config import make_config
from tests.support.data import raw_events
from tests.support.paths import REPO


def scrape(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/metrics")
    response = connection.getresponse()
    assert response.status == 200
    assert (response.getheader("Content-Type") or "").startswith("text/plain; version=0.0.4")
    return response.read().decode()


def value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} not in:\n{text}"
    return float(match.group(1))


def test_metrics_count_requests_by_status_refusals_bytes_and_ack_latency(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", ingestion={"workers": 1})
    with live_collector(config) as live:
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        for body, app_id in ((b"[1]", "shop"), (b"[22]", "shop"), (b"[]", "nobody")):
            connection.request("POST", f"/collect?appId={app_id}", body=body)
            connection.getresponse().read()
        text = scrape(live.port)
    assert value(text, 'clickstream_http_requests_total{status="200"}') == 2
    assert value(text, 'clickstream_http_requests_total{status="403"}') == 1
    assert value(text, 'clickstream_refused_requests_total{reason="unknown appId"}') == 1
    assert value(text, "clickstream_received_bytes_total") == 7
    assert value(text, "clickstream_stored_records_total") == 2
    assert value(text, "clickstream_ack_latency_seconds_count") == 2
    assert value(text, 'clickstream_ack_latency_seconds_bucket{le="+Inf"}') == 2
    assert value(text, 'clickstream_wal_backlog_bytes{worker="w0"}') > 0  # not shipped yet
    assert 'clickstream_ship_lag_seconds{worker="w0"}' in text


def test_metrics_sum_counters_over_workers_and_keep_gauges_per_worker(tmp_path: Path) -> None:
    mine, peer = WorkerMetrics("w0"), WorkerMetrics("w1")
    mine.requests[200] += 3
    peer.requests[200] += 4
    peer.requests[429] += 1
    mine.observe_ack(0.001)
    peer.observe_ack(0.2)
    peer.gauges = {"ship_lag_seconds": 12.0}
    mine.gauges = {"ship_lag_seconds": 1.0}
    write_snapshot(tmp_path, peer)
    text = render(mine, tmp_path, ["w0", "w1", "w2"]).decode()  # w2 has not reported yet
    assert value(text, 'clickstream_http_requests_total{status="200"}') == 7
    assert value(text, 'clickstream_http_requests_total{status="429"}') == 1
    assert value(text, "clickstream_ack_latency_seconds_count") == 2
    assert value(text, 'clickstream_ack_latency_seconds_bucket{le="0.001"}') == 1
    assert value(text, 'clickstream_ship_lag_seconds{worker="w1"}') == 12
    assert value(text, 'clickstream_ship_lag_seconds{worker="w0"}') == 1


def test_a_restarted_worker_continues_its_counters(tmp_path: Path) -> None:
    before = WorkerMetrics("w0")
    before.requests[200] += 5
    before.observe_ack(0.003)
    write_snapshot(tmp_path, before)
    config = make_config(tmp_path, ingestion={"workers": 1})
    with live_collector(config) as live:
        text = scrape(live.port)
    assert value(text, 'clickstream_http_requests_total{status="200"}') == 5
    assert value(text, "clickstream_ack_latency_seconds_count") == 1


def test_log_lines_are_json_with_the_worker_and_extra_fields() -> None:
    record = logging.LogRecord("clickstream.ingestion", logging.WARNING, __file__, 1, "shipping %s", ("failed",), None)
    record.segments = 3
    line = json.loads(JsonFormatter(worker="w1").format(record))
    assert line["message"] == "shipping failed"
    assert (line["level"], line["worker"], line["segments"]) == ("warning", "w1", 3)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", line["time"])


def test_memory_durability_answers_before_the_write_and_still_ships_on_shutdown(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", ingestion={"durability": "memory"})
    with live_collector(config) as live:
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        for n in range(50):
            connection.request("POST", "/collect?appId=shop", body=json.dumps([{"event_id": f"m{n}"}]).encode())
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        health = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        health.request("GET", "/health")
        assert json.loads(health.getresponse().read())["durability"] == "memory"
    assert sorted(event["event_id"] for event in raw_events(config.home)) == sorted(f"m{n}" for n in range(50))
    assert not list((config.home / WAL_DIR).rglob("*.open"))


def test_without_durability_appends_return_at_once_until_the_buffer_is_full(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, bool]:
        wal = WriteAheadLog(tmp_path / "wal", 10_000_000, 3600, durable=False, flush_seconds=3600, buffer_bytes=100)
        wal.recover()
        committer = asyncio.create_task(wal.run_committer())
        await wal.append(b'{"a":1}\n')  # returns without a commit
        queued = wal.committed_records
        await asyncio.wait_for(wal.append(b"x" * 200 + b"\n"), 5)  # over the buffer: waits for the write
        wal.stop()
        await committer
        return queued, wal.committed_records == 2

    assert asyncio.run(scenario()) == (0, True)


def test_the_dockerfile_copies_files_that_exist_and_runs_the_collector() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (REPO / source).exists(), f"Dockerfile copies {source}, which does not exist"
    assert re.search(r'^CMD \["clickstream", .*"serve"', dockerfile, re.MULTILINE)
    assert "EXPOSE 8080" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "node_modules" in ignored

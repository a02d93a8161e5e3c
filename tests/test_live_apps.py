"""An app created in the Studio is taken by a running collector within 10 s and modelled by the next cycle.

A real `clickstream serve` with two workers and the default refresh period, the Studio's API on the same
home, then one pipeline cycle: the new app's events are in ``fct_events``; once deleted, it is refused.
"""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

import duckdb
import pytest

from clickstream.config import load_config
from clickstream.pipeline.cycle import run_cycle
from tests.support.loopback import free_port
from tests.support.serve import ServeProcess, write_serve_config
from tests.support.studio import REQUEST_ID, signed_in

pytestmark = pytest.mark.slow
REFRESH_LIMIT_SECONDS = 10


def post(port: int, app_id: str, event_id: str) -> int:
    now = int(time.time() * 1000)
    event = {"event_id": event_id, "app_id": app_id, "timestamp": now, "event_type": "_page_view",
             "unique_id": "u1", "platform": "Web", "user": {}, "attributes": {}}  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", f"/collect?appId={app_id}", body=json.dumps([event]).encode())
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def accepted_by_every_worker_within(port: int, app_id: str, wanted: int, limit: float) -> float:
    """Seconds until ``wanted`` requests in a row got their ``wanted`` status (200 or 403), on fresh
    connections so that both workers answer; fails after ``limit`` seconds."""
    started, streak, sent = time.monotonic(), 0, 0
    while streak < 20:
        assert time.monotonic() - started < limit, f"{app_id}: still not {wanted} after {limit} s"
        sent += 1
        streak = streak + 1 if post(port, app_id, f"{app_id}-{sent}") == wanted else 0
        time.sleep(0.05)
    return time.monotonic() - started


def test_an_app_created_in_the_studio_is_collected_and_modelled_and_refused_once_deleted(tmp_path: Path) -> None:
    port = free_port()
    config_path = write_serve_config(tmp_path, port, workers=2)
    config = load_config(config_path)
    server = ServeProcess(config_path, port)
    try:
        server.wait_healthy()
        assert post(port, "blog", "before") == 403
        with signed_in(config) as studio:
            created = studio.post("/api/app", json={"appId": "blog", "timezone": "Asia/Tokyo"}, headers=REQUEST_ID)
            assert created.status_code == 201, created.text
            took = accepted_by_every_worker_within(port, "blog", 200, REFRESH_LIMIT_SECONDS)
            print(f"accepted by both workers {took:.1f} s after it was created")
            assert studio.delete("/api/app/blog", headers=REQUEST_ID).status_code == 200
            accepted_by_every_worker_within(port, "blog", 403, REFRESH_LIMIT_SECONDS)
        assert server.stop() == 0  # ships every sealed segment to raw/
    finally:
        if server.process.poll() is None:
            server.kill_all()

    report = run_cycle(config)
    assert report.ok, report
    with duckdb.connect(str(config.warehouse_path), read_only=True) as warehouse:
        rows = warehouse.execute(
            "select count(*), count(distinct event_id) from analytics.fct_events where app_id = 'blog'"
        ).fetchone()
    assert rows is not None and rows[0] == rows[1] and rows[0] >= 20  # the deleted app's accepted data is kept

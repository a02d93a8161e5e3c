"""A published analysis re-runs with new data after the next pipeline cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clickstream.pipeline.cycle import run_cycle
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import write_raw
from clickstream.storage import Storage
from tests.support.pipeline import pipeline_config
from tests.support.studio import REQUEST_ID, signed_in

pytestmark = pytest.mark.slow


def simulate(storage: Storage, seed: int) -> None:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_raw(iter_requests(SimulationSpec(users=4, days=1, seed=seed, app_ids=("shop",), end=end)), storage)


def total_events(answer: dict[str, object]) -> float:
    result = answer["result"]
    assert isinstance(result, dict)
    return sum(float(row["value"]) for row in result["rows"])


def test_a_published_visual_counts_the_events_of_the_next_cycle(tmp_path: Path) -> None:
    config = pipeline_config(tmp_path)
    storage = Storage(config.home)
    simulate(storage, seed=1)
    assert run_cycle(config).ok
    request = {"appId": "shop", "timeScopeType": "RELATIVE", "lastN": 7, "timeUnit": "DD",
               "computeMethod": "EVENT_CNT", "eventAndConditions": [{"eventName": "_session_start"}]}  # fmt: skip
    base = f"/api/project/{config.project_id}/shop/dashboard"
    with signed_in(config) as studio:
        dashboard = studio.post(base, json={"name": "Sessions"}, headers=REQUEST_ID).json()
        target = {"action": "PUBLISH", "dashboardId": dashboard["id"], "sheetId": dashboard["sheets"][0]["id"]}
        published = studio.post("/api/reporting/event", json={**request, **target}, headers=REQUEST_ID)
        assert published.status_code == 200, published.text
        [before] = studio.get(f"{base}/{dashboard['id']}/data").json()["visuals"]

    simulate(storage, seed=2)  # more users' sessions arrive
    assert run_cycle(config).ok
    with signed_in(config) as studio:
        opened = studio.get(f"{base}/{dashboard['id']}/data").json()
        direct = studio.post("/api/reporting/event", json=request, headers=REQUEST_ID).json()
    [after] = opened["visuals"]
    assert opened["cached"] is False
    assert total_events(after) > total_events(before) > 0
    assert after["result"]["rows"] == direct["rows"]

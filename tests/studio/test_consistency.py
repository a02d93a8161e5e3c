"""The Studio keeps answering while a pipeline cycle (another process) writes the warehouse.

DuckDB lets one process write a file, and opening it read-only from another process fails while that
writer holds it. The Studio reads only the serving snapshot each cycle publishes with an atomic rename,
so during a whole `clickstream run` in a separate process every query answers 200 from the previous
snapshot, and the first query after the cycle sees the new one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from clickstream.pipeline.cycle import run_cycle
from clickstream.serving import publish_snapshot, snapshot_path
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import write_raw
from clickstream.storage import Storage
from tests.studio.dataset import build_warehouse
from tests.support.config import make_config
from tests.support.studio import REQUEST_ID, signed_in


def total_events(response: Any) -> int:
    assert response.status_code == 200, response.text
    return int(sum(row["value"] for row in response.json()["rows"]))


@pytest.mark.slow
def test_queries_answer_from_the_last_snapshot_during_a_cycle_and_the_next_one_after(tmp_path: Path) -> None:
    document = {
        "home": str(tmp_path / "home"),
        "apps": [{"id": "shop"}],
        "etl": {"freshness_hours": None, "workers": 1},
    }
    config_file = tmp_path / "clickstream.yml"
    config_file.write_text(yaml.safe_dump(document))
    config = make_config(tmp_path / "home", apps=document["apps"], etl=document["etl"])
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)

    def simulate(seed: int, end: datetime) -> None:
        requests = iter_requests(SimulationSpec(users=6, days=1, seed=seed, app_ids=("shop",), end=end))
        write_raw(requests, Storage(config.home))  # raw file names come from request times: days apart, distinct

    simulate(seed=3, end=end - timedelta(days=1))
    assert run_cycle(config).ok  # the first snapshot
    simulate(seed=4, end=end)  # the next day's traffic for the next cycle to load and model
    body = {"appId": "shop", "timeScopeType": "RELATIVE", "lastN": 3, "timeUnit": "DD", "computeMethod": "EVENT_CNT",
            "eventAndConditions": [{"eventName": "_session_start"}]}  # fmt: skip

    with signed_in(config) as client:
        before = total_events(client.post("/api/reporting/event", json=body, headers=REQUEST_ID))
        cycle = subprocess.Popen(
            [sys.executable, "-m", "clickstream", "--config", str(config_file), "run"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        during: list[int] = []
        while cycle.poll() is None:
            during.append(total_events(client.post("/api/reporting/event", json=body, headers=REQUEST_ID)))
            time.sleep(0.05)
        output = cycle.communicate()[0]
        assert cycle.returncode == 0, output
        after = total_events(client.post("/api/reporting/event", json=body, headers=REQUEST_ID))

    assert len(during) >= 10, "the cycle ended before the Studio was asked anything"
    assert set(during) <= {before, after}  # each answer is one whole snapshot, never a mix or an error
    assert during[0] == before
    assert after > before, output  # the newly published snapshot is read without a restart


@pytest.mark.parametrize("readers", [1, 2])
def test_a_republished_snapshot_is_read_by_the_next_query(tmp_path: Path, readers: int) -> None:
    import duckdb

    from clickstream.studio.snapshot import SnapshotReader

    config = make_config(tmp_path / "home", apps=[{"id": "shop"}])
    build_warehouse(config)
    sessions = [SnapshotReader(snapshot_path(config)) for _ in range(readers)]
    count = "select count(*) as n from events"
    assert [reader.query(count).rows for reader in sessions] == [[{"n": 20}]] * readers
    with duckdb.connect(str(config.warehouse_path)) as warehouse:  # a cycle models more events
        warehouse.execute("insert into analytics.fct_events select * from analytics.fct_events limit 5")
    publish_snapshot(config)
    assert [reader.query(count).rows for reader in sessions] == [[{"n": 25}]] * readers


def test_events_committed_but_not_yet_checkpointed_are_published(tmp_path: Path) -> None:
    """The snapshot is a byte copy of the warehouse: its write-ahead log is copied and replayed too."""
    import duckdb

    from clickstream.studio.snapshot import SnapshotReader

    config = make_config(tmp_path / "home", apps=[{"id": "shop"}])
    build_warehouse(config)
    with duckdb.connect(str(config.warehouse_path)) as warehouse:
        warehouse.execute("pragma disable_checkpoint_on_shutdown")
        warehouse.execute("set checkpoint_threshold = '1GB'")
        warehouse.execute("insert into analytics.fct_events select * from analytics.fct_events limit 3")
    assert config.warehouse_path.with_name(config.warehouse_path.name + ".wal").exists()
    assert publish_snapshot(config).events == 23
    assert SnapshotReader(snapshot_path(config)).query("select count(*) as n from events").rows == [{"n": 23}]
    assert not snapshot_path(config).with_name(snapshot_path(config).name + ".wal").exists()


def test_a_killed_publishers_temporary_files_are_removed_by_the_next_publish(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", apps=[{"id": "shop"}])
    build_warehouse(config)
    serving = snapshot_path(config).parent
    leftovers = [serving / ".studio.duckdb.999999.tmp", serving / ".studio.duckdb.999999.tmp.wal"]
    for leftover in leftovers:
        leftover.write_bytes(b"half a copy")
    publish_snapshot(config)
    assert not any(leftover.exists() for leftover in leftovers)
    assert sorted(path.name for path in serving.iterdir()) == ["studio.duckdb"]

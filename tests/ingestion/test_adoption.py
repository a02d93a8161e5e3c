"""A shared log root: every worker logs under its task's folder, and the logs of dead collectors are shipped.

Real folders, real locks held by real processes, the local sink; the AWS side is tests/infra.
"""

from __future__ import annotations

import asyncio
import fcntl
import gzip
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from clickstream.config import Config
from clickstream.errors import ConfigError, SinkError
from clickstream.ingestion.adoption import (
    ECS_METADATA_ENV,
    Adopted,
    adopt_orphans,
    current_task_id,
    remove_emptied_folder,
    shipping_sink,
    wal_folder,
    with_task_id,
)
from clickstream.ingestion.app import CollectorApp
from clickstream.ingestion.shipper import StorageSink
from clickstream.ingestion.sinks.base import SegmentBatch
from clickstream.ingestion.wal import LOCK, WriteAheadLog
from clickstream.storage import Storage
from tests.support.config import make_config
from tests.support.loopback import QuietHandler, serving

HOUR_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def shared_config(tmp_path: Path, task: str, **ingestion: Any) -> Config:
    """A collector of task ``task`` logging under ``tmp_path/wal`` and shipping to ``tmp_path/data``."""
    return make_config(
        tmp_path / f"home-{task}",
        data_root=str(tmp_path / "data"),
        ingestion={
            "wal_root": str(tmp_path / "wal"),
            "wal_task_id": task,
            "workers": 2,
            "adopt_after_seconds": 0,  # the folders here were made a moment ago
            **ingestion,
        },
    )


def dead_folder(root: Path, task: str, worker: str, records: list[str], torn_tail: bytes = b"") -> Path:
    """What a worker killed with SIGKILL leaves: its LOCK (no longer held), a sealed and an open segment."""
    folder = root / task / worker
    folder.mkdir(parents=True)
    (folder / LOCK).touch()
    half = len(records) // 2
    lines = [json.dumps({"rid": rid, "data": "[]"}).encode() + b"\n" for rid in records]
    (folder / f"{HOUR_MS:013d}-000001.seg").write_bytes(b"".join(lines[:half]))
    (folder / f"{HOUR_MS + 1:013d}-000002.open").write_bytes(b"".join(lines[half:]) + torn_tail)
    return folder


def shipped_rids(data: Path) -> Counter[str]:
    """How often each record id is in the raw files under ``data``."""
    storage = Storage(data)
    counts: Counter[str] = Counter()
    for stored in storage.list_files("raw", ".jsonl.gz"):
        for line in gzip.decompress(storage.read_bytes(stored.path)).splitlines():
            counts[json.loads(line)["rid"]] += 1
    return counts


def hold_lock(folder: Path) -> subprocess.Popen[bytes]:
    """A live owner: a process that has recovered ``folder`` (so holds its LOCK) and waits."""
    script = (
        "import sys, time; from pathlib import Path; from clickstream.ingestion.wal import WriteAheadLog\n"
        "WriteAheadLog(Path(sys.argv[1]), 1_000_000, 3600).recover(); print('locked', flush=True); time.sleep(600)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(folder)], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"locked\n"
    return process


# --- where a worker logs ----------------------------------------------------------------------------


def test_without_a_log_root_each_worker_logs_under_home(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home")
    assert wal_folder(config, "w1") == tmp_path / "home" / "wal" / "w1"
    sink = StorageSink(Storage(tmp_path))
    assert shipping_sink(config, sink) is sink


def test_with_a_log_root_each_worker_logs_under_its_task(tmp_path: Path) -> None:
    assert wal_folder(shared_config(tmp_path, "task-a"), "w1") == tmp_path / "wal" / "task-a" / "w1"


def test_raw_file_names_carry_the_task_under_a_log_root(tmp_path: Path) -> None:
    sink = shipping_sink(shared_config(tmp_path, "task-a"), StorageSink(Storage(tmp_path / "data")))
    sink.put_segment(SegmentBatch(PurePosixPath("raw/hour=1/w0-1-000001.jsonl.gz"), b'{"rid":"x"}\n'))
    assert (tmp_path / "data" / "raw" / "hour=1" / "task-a-w0-1-000001.jsonl.gz").exists()


@pytest.fixture
def metadata_endpoint() -> Iterator[str]:
    """An ECS task metadata endpoint (v4) on a loopback port, answering ``/task`` as ECS does."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            if self.path != "/v4/abc/task":
                self.send_error(404)
                return
            body = json.dumps(
                {"Cluster": "c", "TaskARN": "arn:aws:ecs:eu-west-1:1:task/c/0f1e2d3c4b5a69788796a5b4c3d2e1f0"}
            )
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

    with serving(Handler) as base:
        yield f"{base}/v4/abc"


def test_on_ecs_the_task_id_comes_from_the_task_metadata(metadata_endpoint: str, tmp_path: Path) -> None:
    config = with_task_id(
        make_config(tmp_path, ingestion={"wal_root": "/mnt/wal"}), {ECS_METADATA_ENV: metadata_endpoint}
    )
    assert config.ingestion.wal_task_id == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert wal_folder(config, "w0") == Path("/mnt/wal/0f1e2d3c4b5a69788796a5b4c3d2e1f0/w0")


def test_an_unreadable_metadata_endpoint_names_the_setting_that_avoids_it(metadata_endpoint: str) -> None:
    with pytest.raises(ConfigError) as error:
        current_task_id({ECS_METADATA_ENV: metadata_endpoint + "-wrong"})
    assert "ingestion.wal_task_id" in (error.value.hint or "")


def test_off_ecs_the_task_id_is_the_host_name() -> None:
    assert current_task_id({}, hostname=lambda: "collector-3.internal") == "collector-3"


def test_a_configured_task_id_is_kept(tmp_path: Path) -> None:
    config = shared_config(tmp_path, "fixed")
    assert with_task_id(config, {ECS_METADATA_ENV: "http://127.0.0.1:9/unused"}) is config


@pytest.mark.parametrize(
    ("ingestion", "message"),
    [({"wal_root": "wal"}, "absolute path"), ({"wal_root": "/w", "wal_task_id": "../up"}, "wal_task_id")],
)
def test_a_bad_log_root_or_task_id_is_refused_with_the_key(
    tmp_path: Path, ingestion: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(tmp_path, ingestion=ingestion)


# --- adoption ---------------------------------------------------------------------------------------


def test_a_dead_workers_folder_is_shipped_once_and_removed(tmp_path: Path) -> None:
    config = shared_config(tmp_path, "task-b")
    dead_folder(tmp_path / "wal", "task-a", "w0", [f"r{n}" for n in range(10)], torn_tail=b'{"rid": "torn')

    adopted = adopt_orphans(config, StorageSink(Storage(tmp_path / "data")))

    assert adopted == [Adopted("task-a", "w0", (f"{HOUR_MS:013d}-000001.seg", f"{HOUR_MS + 1:013d}-000002.seg"), 10)]
    assert shipped_rids(tmp_path / "data") == Counter({f"r{n}": 1 for n in range(10)})  # the torn line was never acked
    names = sorted(p.name for p in (tmp_path / "data").rglob("*.jsonl.gz"))
    assert names == [f"task-a-w0-{HOUR_MS:013d}-000001.jsonl.gz", f"task-a-w0-{HOUR_MS + 1:013d}-000002.jsonl.gz"]
    assert not (tmp_path / "wal" / "task-a").exists()
    assert adopt_orphans(config, StorageSink(Storage(tmp_path / "data"))) == []


def test_a_live_owners_folder_is_never_touched_until_it_dies(tmp_path: Path) -> None:
    config = shared_config(tmp_path, "task-b")
    folder = dead_folder(tmp_path / "wal", "task-a", "w0", ["r1", "r2"])
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    owner = hold_lock(folder)
    try:
        assert adopt_orphans(config, StorageSink(Storage(tmp_path / "data"))) == []
        assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name != LOCK} == {
            f"{HOUR_MS:013d}-000001.seg": before[f"{HOUR_MS:013d}-000001.seg"],
            f"{HOUR_MS + 1:013d}-000002.seg": before[f"{HOUR_MS + 1:013d}-000002.open"],  # sealed by its owner
        }
        assert shipped_rids(tmp_path / "data") == Counter()
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert [a.records for a in adopt_orphans(config, StorageSink(Storage(tmp_path / "data")))] == [2]
    assert shipped_rids(tmp_path / "data") == Counter({"r1": 1, "r2": 1})


def test_this_collectors_own_workers_are_left_to_themselves(tmp_path: Path) -> None:
    config = shared_config(tmp_path, "task-a", workers=2)
    dead_folder(tmp_path / "wal", "task-a", "w1", ["mine"])  # a worker of ours, restarting: it recovers itself
    dead_folder(tmp_path / "wal", "task-a", "w5", ["stale"])  # from when this task ran more workers
    adopted = adopt_orphans(config, StorageSink(Storage(tmp_path / "data")))
    assert [(a.task, a.worker) for a in adopted] == [("task-a", "w5")]
    assert (tmp_path / "wal" / "task-a" / "w1").is_dir()


def test_a_lock_taken_on_a_lock_file_an_adopter_removed_meanwhile_is_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "wal" / "task-a" / "w0"
    folder.mkdir(parents=True)
    (folder / LOCK).touch()
    real_flock = fcntl.flock

    def adopter_finishes_first(descriptor: int, operation: int) -> None:
        # Between our open and our flock an adopter removed the LOCK we opened; a new one took its place.
        (folder / LOCK).unlink()
        (folder / LOCK).touch()
        real_flock(descriptor, operation)

    monkeypatch.setattr(fcntl, "flock", adopter_finishes_first)
    with pytest.raises(SinkError, match="removed while taking its lock"):
        WriteAheadLog(folder, 1_000_000, 3600).recover()
    monkeypatch.setattr(fcntl, "flock", real_flock)
    WriteAheadLog(folder, 1_000_000, 3600).recover()  # the lock file in place now is taken as usual


def test_an_unlocked_folder_is_adopted_only_once_it_has_been_quiet(tmp_path: Path) -> None:
    # Its owner may be shipping its last segments after unlocking (a stop), or about to lock it (a start).
    config = shared_config(tmp_path, "task-b", adopt_after_seconds=60)
    folder = dead_folder(tmp_path / "wal", "task-a", "w0", ["r1"])
    sink = StorageSink(Storage(tmp_path / "data"))
    assert adopt_orphans(config, sink) == []
    assert adopt_orphans(config, sink, now=lambda: folder.stat().st_mtime + 59) == []
    assert [a.records for a in adopt_orphans(config, sink, now=lambda: folder.stat().st_mtime + 61)] == [1]


def test_a_folder_left_without_a_lock_file_is_adopted_too(tmp_path: Path) -> None:
    config = shared_config(tmp_path, "task-b")
    folder = dead_folder(tmp_path / "wal", "task-a", "w0", ["r1"])
    (folder / LOCK).unlink()
    assert [a.records for a in adopt_orphans(config, StorageSink(Storage(tmp_path / "data")))] == [1]
    assert not folder.exists()


class FailingSink:
    def put_segment(self, batch: SegmentBatch) -> None:
        raise OSError("the sink is down")


def test_a_failed_shipment_leaves_the_folder_for_the_next_round(tmp_path: Path) -> None:
    config = shared_config(tmp_path, "task-b")
    dead_folder(tmp_path / "wal", "task-a", "w0", ["r1", "r2"])
    assert adopt_orphans(config, FailingSink()) == []
    assert sorted(p.suffix for p in (tmp_path / "wal" / "task-a" / "w0").iterdir()) == ["", ".seg", ".seg"]
    assert [a.records for a in adopt_orphans(config, StorageSink(Storage(tmp_path / "data")))] == [2]


def _race(config: Config, start: Any, results: Any) -> None:
    """One adopter process of the race: waits for the other, adopts, reports what it shipped."""
    start.wait()
    adopted = adopt_orphans(config, StorageSink(Storage(config.storage_root)))
    results.put([(a.task, a.worker, segment) for a in adopted for segment in a.segments])


def test_two_adopters_racing_ship_each_segment_once(tmp_path: Path) -> None:
    folders = {(f"task-{t}", f"w{w}") for t in range(12) for w in range(2)}
    for task, worker in folders:
        dead_folder(tmp_path / "wal", task, worker, [f"{task}-{worker}-{n}" for n in range(6)])
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(2), spawn.Queue()  # both go once both are ready, over the same folders
    adopters = [
        spawn.Process(target=_race, args=(shared_config(tmp_path, f"adopter-{n}"), start, results)) for n in range(2)
    ]
    for process in adopters:
        process.start()
    shipped = [results.get(timeout=120) for _ in adopters]
    for process in adopters:
        process.join(30)
        assert process.exitcode == 0

    every = [segment for one in shipped for segment in one]
    assert len(every) == len(set(every)) == 2 * len(folders)  # each segment shipped by exactly one adopter
    assert shipped_rids(tmp_path / "data") == Counter({f"{t}-{w}-{n}": 1 for t, w in folders for n in range(6)})
    assert list((tmp_path / "wal").iterdir()) == []


# --- a whole collector killed, another one adopting -----------------------------------------------------


def serve_config(tmp_path: Path, task: str, port: int, **ingestion: Any) -> Path:
    import yaml

    path = tmp_path / f"{task}.yml"
    document = {
        "home": str(tmp_path / f"home-{task}"),
        "data_root": str(tmp_path / "data"),
        "apps": [{"id": "shop"}],
        "ingestion": {
            "host": "127.0.0.1",
            "port": port,
            "workers": 1,
            "wal_root": str(tmp_path / "wal"),
            "wal_task_id": task,
            **ingestion,
        },
    }
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.slow
def test_every_record_a_killed_collector_acknowledged_is_shipped_once_by_another(tmp_path: Path) -> None:
    import http.client

    from tests.support.loopback import free_port
    from tests.support.serve import ServeProcess

    port = free_port()
    first = ServeProcess(serve_config(tmp_path, "task-a", port, segment_max_bytes=4_000), port)
    first.wait_healthy()
    acknowledged: list[str] = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for n in range(300):
        connection.request("POST", "/collect?appId=shop", body=json.dumps([{"event_id": f"e{n}"}]).encode())
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        acknowledged.append(response.headers["x-request-id"])
    first.kill_all()  # SIGKILL: no shutdown, no shipping of the open segment
    left = list((tmp_path / "wal" / "task-a" / "w0").iterdir())
    assert any(p.suffix == ".open" for p in left), "the crash left nothing to adopt"

    port = free_port()
    second = ServeProcess(
        serve_config(tmp_path, "task-b", port, adopt_interval_seconds=0.5, adopt_after_seconds=1), port
    )
    try:
        second.wait_healthy()
        deadline = time.monotonic() + 60
        while (tmp_path / "wal" / "task-a").exists():
            assert time.monotonic() < deadline, "the dead collector's folder was not adopted"
            time.sleep(0.2)
    finally:
        second.stop()  # one worker: uvicorn ends by re-raising the SIGTERM it handled, so no exit code to check
    counts = shipped_rids(tmp_path / "data")
    assert {rid: counts[rid] for rid in acknowledged} == dict.fromkeys(acknowledged, 1)


def lock_is_free(folder: Path) -> bool:
    """Whether another process could take the folder's lock now (what an adopter would try)."""
    descriptor = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


class LockWatchingSink:
    """The local sink, noting for each segment whether its folder was locked while it was being shipped."""

    def __init__(self, data: Path, folder: Path) -> None:
        self.sink, self.folder = StorageSink(Storage(data)), folder
        self.locked_while_shipping: list[bool] = []

    def put_segment(self, batch: SegmentBatch) -> None:
        self.locked_while_shipping.append(not lock_is_free(self.folder))
        self.sink.put_segment(batch)


def test_a_stopping_collector_ships_its_last_segments_before_it_unlocks_and_removes_its_folder(
    tmp_path: Path,
) -> None:
    config = shared_config(tmp_path, "task-a", workers=1)
    folder = wal_folder(config, "w0")
    sink = LockWatchingSink(tmp_path / "data", folder)
    app = CollectorApp(config, sink, "w0")

    async def run() -> None:
        await app.startup()
        for rid in ("r1", "r2"):
            await app.wal.append(json.dumps({"rid": rid, "data": "[]"}).encode() + b"\n")
        await app.shutdown()

    asyncio.run(run())
    assert sink.locked_while_shipping == [True]  # an adopter could not have shipped it too
    assert shipped_rids(tmp_path / "data") == Counter({"r1": 1, "r2": 1})
    assert not folder.exists() and not folder.parent.exists()  # nothing left for adopters to look at


def test_a_log_that_cannot_be_recovered_does_not_keep_its_folder_locked(tmp_path: Path) -> None:
    config = shared_config(tmp_path, "task-b")
    folder = dead_folder(tmp_path / "wal", "task-a", "w0", ["r1", "r2"])
    damaged = folder / f"{HOUR_MS + 2:013d}-000003.open"
    damaged.mkdir()  # a directory where a segment should be: recovering it fails after the lock was taken
    sink = StorageSink(Storage(tmp_path / "data"))
    assert adopt_orphans(config, sink) == []  # logged, left for the next round
    assert lock_is_free(folder)  # so that the next round (of any collector) can try again
    damaged.rmdir()
    assert [a.records for a in adopt_orphans(config, sink)] == [2]


def test_once_a_log_root_is_set_what_home_wal_still_holds_is_shipped(tmp_path: Path) -> None:
    config = shared_config(tmp_path, "task-b")
    dead_folder(config.home, "wal", "w0", ["before-the-root"])  # <home>/wal/w0, from a run without the root
    adopted = adopt_orphans(config, StorageSink(Storage(tmp_path / "data")))
    assert [(a.worker, a.records) for a in adopted] == [("w0", 1)]
    assert shipped_rids(tmp_path / "data") == Counter({"before-the-root": 1})
    assert not (config.home / "wal" / "w0").exists()


def test_a_file_nfs_keeps_for_an_unlinked_open_lock_does_not_count_as_left_over(tmp_path: Path) -> None:
    folder = tmp_path / "wal" / "task-a" / "w0"
    folder.mkdir(parents=True)
    (folder / LOCK).touch()
    (folder / ".nfs0000000000a1b2c300000001").touch()  # what NFS renames an unlinked, still open file to
    released: list[bool] = []
    assert remove_emptied_folder(folder, lambda: released.append(True))
    assert released == [True] and not (folder / LOCK).exists()

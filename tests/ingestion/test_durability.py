"""An event that got a 200 is on disk: the write-ahead log, group commit and crash recovery."""

from __future__ import annotations

import asyncio
import errno
import gzip
import http.client
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from clickstream.contract import WAL_DIR
from clickstream.errors import SinkError
from clickstream.ingestion.shipper import StorageSink, ship_segments
from clickstream.ingestion.wal import WriteAheadLog
from clickstream.storage import Storage
from tests.support.collector import live_collector
from tests.support.config import make_config


def test_the_record_is_in_the_log_before_the_200(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", ingestion={"segment_max_age_seconds": 3600})
    with live_collector(config, ship_interval_seconds=3600) as live:
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        connection.request("POST", "/collect?appId=shop", body=b'[{"event_id":"durable"}]')
        assert connection.getresponse().status == 200
        open_segments = list((config.home / WAL_DIR / "w0").glob("*.open"))
        assert len(open_segments) == 1
        assert b"durable" in open_segments[0].read_bytes()


def test_concurrent_requests_share_fsyncs(tmp_path: Path) -> None:
    async def scenario() -> WriteAheadLog:
        wal = WriteAheadLog(tmp_path / "wal", max_bytes=10_000_000, max_age_seconds=3600)
        wal.recover()
        committer = asyncio.create_task(wal.run_committer())
        await asyncio.gather(*(wal.append(f'{{"n":{n}}}\n'.encode()) for n in range(200)))
        committer.cancel()
        return wal

    wal = asyncio.run(scenario())
    assert wal.committed_records == 200
    assert wal.commits < 200


def lines_arriving_one_poll_apart(tmp_path: Path, gather_seconds: float, seconds: float = 0.0) -> WriteAheadLog:
    """A log on the event loop that gets one line in each of 3 loop iterations (or in each for ``seconds``)."""

    async def scenario() -> WriteAheadLog:
        wal = WriteAheadLog(tmp_path / "wal", max_bytes=10_000_000, max_age_seconds=3600, gather_seconds=gather_seconds)
        wal.recover()
        committer = asyncio.create_task(wal.run_committer())
        await asyncio.sleep(0)  # the committer is running
        loop, answered = asyncio.get_running_loop(), asyncio.Event()
        started, sent, waiting = time.monotonic(), 0, 0

        def settled(error: BaseException | None) -> None:
            nonlocal waiting
            waiting -= 1
            if waiting == 0 and (sent >= 3 and time.monotonic() - started >= seconds):
                answered.set()

        def send_one() -> None:
            nonlocal sent, waiting
            sent += 1
            waiting += 1
            wal.submit(f'{{"n":{sent}}}\n'.encode(), settled)
            if sent < 3 or time.monotonic() - started < seconds:
                loop.call_soon(send_one)  # the next line comes in the next loop iteration

        send_one()
        await asyncio.wait_for(answered.wait(), 10)
        wal.stop()
        await committer
        return wal

    return asyncio.run(scenario())


def test_an_event_loop_commit_waits_while_lines_keep_arriving(tmp_path: Path) -> None:
    wal = lines_arriving_one_poll_apart(tmp_path, gather_seconds=1.0)
    assert (wal.committed_records, wal.commits) == (3, 1)


def test_without_gathering_a_commit_takes_what_one_poll_brought(tmp_path: Path) -> None:
    wal = lines_arriving_one_poll_apart(tmp_path, gather_seconds=0.0)
    assert wal.committed_records == 3
    assert wal.commits > 1


def test_gathering_lines_stops_at_its_time_limit(tmp_path: Path) -> None:
    # a line in every loop iteration for 0.2 s never stops growing the group: only the limit commits it
    wal = lines_arriving_one_poll_apart(tmp_path, gather_seconds=0.005, seconds=0.2)
    assert wal.commits >= 10


def test_the_log_calls_back_each_submitted_line_once_it_is_committed(tmp_path: Path) -> None:
    async def scenario() -> list[tuple[str, BaseException | None]]:
        wal = WriteAheadLog(tmp_path / "wal", max_bytes=10_000_000, max_age_seconds=3600)
        wal.recover()
        committer = asyncio.create_task(wal.run_committer())
        answers: list[tuple[str, BaseException | None]] = []

        def broken(error: BaseException | None) -> None:
            raise RuntimeError("a request's answer failed")

        wal.submit(b'{"n":1}\n', lambda error: answers.append(("first", error)))
        wal.submit(b'{"n":2}\n', broken)  # logged; must not keep the others from their answer
        wal.submit(b'{"n":3}\n', lambda error: answers.append(("third", error)))
        assert answers == []  # nothing is acknowledged before the fsync
        while len(answers) < 2:
            await asyncio.sleep(0.01)
        wal.stop()
        await committer
        assert wal.committed_records == 3
        return answers

    assert asyncio.run(scenario()) == [("first", None), ("third", None)]


def test_a_segment_left_open_by_a_crash_is_shipped_without_its_torn_tail(tmp_path: Path) -> None:
    directory = tmp_path / "wal"
    directory.mkdir()
    (directory / "1700000000000-000001.open").write_bytes(b'{"a":1}\n{"b":2}\n{"c":')
    wal = WriteAheadLog(directory, max_bytes=1000, max_age_seconds=60)
    sealed = wal.recover()
    storage = Storage(tmp_path / "home")
    assert ship_segments(sealed, StorageSink(storage), "w0") == 2
    [raw] = storage.list_files("raw", ".jsonl.gz")
    assert raw.path == "raw/year=2023/month=11/day=14/hour=22/w0-1700000000000-000001.jsonl.gz"
    assert gzip.decompress(storage.read_bytes(raw.path)).splitlines() == [b'{"a":1}', b'{"b":2}']
    assert not wal.sealed_segments() and not list(directory.glob("*.open"))


def test_every_segment_left_open_by_a_crash_is_recovered_one_per_writer(tmp_path: Path) -> None:
    directory = tmp_path / "wal"
    directory.mkdir()
    (directory / "1700000000000-000001.open").write_bytes(b'{"a":1}\n{"b":')
    (directory / "1700000000001-000002.open").write_bytes(b'{"c":3}\n')
    (directory / "1700000000002-000003.open").write_bytes(b'{"d":')  # nothing acknowledged in it
    sealed = WriteAheadLog(directory, max_bytes=1000, max_age_seconds=60).recover()
    assert [(segment.name, segment.read_bytes()) for segment in sealed] == [
        ("1700000000000-000001.seg", b'{"a":1}\n'),
        ("1700000000001-000002.seg", b'{"c":3}\n'),
    ]
    assert not list(directory.glob("*.open"))


def test_a_group_commit_does_not_wait_for_the_previous_groups_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the first writer's flush hangs, the next request is made durable by the second writer."""
    real_pwritev, real_fsync = os.pwritev, os.fsync
    first_flush_started, release_first_flush = threading.Event(), threading.Event()

    def hold_the_first(flush: Callable[..., object], descriptor: int, *args: object) -> object:
        if not first_flush_started.is_set():
            first_flush_started.set()
            release_first_flush.wait(10)
        return flush(descriptor, *args)

    async def scenario() -> tuple[bool, WriteAheadLog]:
        wal = WriteAheadLog(tmp_path / "wal", max_bytes=10_000_000, max_age_seconds=3600, writers=2)
        wal.recover()
        monkeypatch.setattr(os, "pwritev", lambda *args: hold_the_first(real_pwritev, *args))
        monkeypatch.setattr(os, "fsync", lambda *args: hold_the_first(real_fsync, *args))
        committer = asyncio.create_task(wal.run_committer())
        first = asyncio.create_task(wal.append(b'{"n":1}\n'))
        await asyncio.to_thread(first_flush_started.wait, 10)
        await asyncio.wait_for(wal.append(b'{"n":2}\n'), 5)  # durable while the first flush is in flight
        first_still_waiting = not first.done()
        release_first_flush.set()
        await first
        wal.stop()
        await committer
        wal.close()
        return first_still_waiting, wal

    first_still_waiting, wal = asyncio.run(scenario())
    assert first_still_waiting
    assert wal.commits == 2
    assert sorted(segment.read_bytes() for segment in wal.sealed_segments()) == [b'{"n":1}\n', b'{"n":2}\n']


def committed_log(folder: Path, lines: list[bytes], writers: int = 2) -> WriteAheadLog:
    """A log that committed ``lines`` (appended all at once, so they share group commits) and was closed."""

    async def scenario() -> WriteAheadLog:
        wal = WriteAheadLog(folder, max_bytes=10_000_000, max_age_seconds=3600, writers=writers)
        wal.recover()
        committer = asyncio.create_task(wal.run_committer())
        await asyncio.gather(*(wal.append(line) for line in lines))
        wal.stop()
        await committer
        wal.close()
        return wal

    return asyncio.run(scenario())


def test_one_writer_commits_groups_one_after_the_other(tmp_path: Path) -> None:
    wal = committed_log(tmp_path / "wal", [f'{{"n":{n}}}\n'.encode() for n in range(50)], writers=1)
    [segment] = wal.sealed_segments()
    assert segment.read_bytes() == b"".join(f'{{"n":{n}}}\n'.encode() for n in range(50))


def test_the_collector_ships_what_a_previous_process_left_behind_on_start(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home")
    wal_dir = config.home / WAL_DIR / "w0"
    wal_dir.mkdir(parents=True)
    (wal_dir / "1700000000000-000001.seg").write_bytes(json.dumps({"data": "[]"}).encode() + b"\n")
    with live_collector(config) as live:
        assert live.app.shipped_records == 1
    assert [f.path.rsplit("/", 1)[1] for f in Storage(config.home).list_files("raw")] == [
        "w0-1700000000000-000001.jsonl.gz"
    ]


def test_segments_roll_over_when_they_reach_the_size_limit(tmp_path: Path) -> None:
    async def scenario() -> list[Path]:
        wal = WriteAheadLog(tmp_path / "wal", max_bytes=100, max_age_seconds=3600)
        wal.recover()
        committer = asyncio.create_task(wal.run_committer())
        for n in range(10):
            await wal.append(b'{"padding":"' + b"x" * 30 + b'"}\n')
            del n
        committer.cancel()
        return wal.sealed_segments()

    assert len(asyncio.run(scenario())) >= 3


def test_the_log_remembers_how_many_records_it_sealed_until_they_are_shipped(tmp_path: Path) -> None:
    wal = committed_log(tmp_path / "wal", [f'{{"n":{n}}}\n'.encode() for n in range(7)])
    [segment] = wal.sealed_segments()
    assert wal.sealed_records == {segment.name: 7}
    storage = Storage(tmp_path / "home")
    assert ship_segments([segment], StorageSink(storage), "w0", wal.sealed_records) == 7
    wal.refresh_sealed_bytes()
    assert wal.sealed_records == {}


def test_without_durable_writes_in_the_kernel_the_log_writes_then_fsyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(*args: object) -> int:
        raise OSError(errno.EOPNOTSUPP, "Operation not supported")

    monkeypatch.setattr(os, "pwritev", unsupported)

    async def scenario() -> WriteAheadLog:
        wal = WriteAheadLog(tmp_path / "wal", max_bytes=10_000_000, max_age_seconds=3600)
        wal.recover()
        committer = asyncio.create_task(wal.run_committer())
        await wal.append(b'{"n":1}\n')
        await wal.append(b'{"n":2}\n')
        wal.stop()
        await committer
        wal.close()
        return wal

    wal = asyncio.run(scenario())
    assert wal.committed_records == 2
    assert [segment.read_bytes() for segment in wal.sealed_segments()] == [b'{"n":1}\n{"n":2}\n']


def test_a_second_process_cannot_take_a_log_folder_in_use(tmp_path: Path) -> None:
    first = WriteAheadLog(tmp_path / "wal", max_bytes=1000, max_age_seconds=60)
    first.recover()
    with pytest.raises(SinkError, match="another collector process is using the log folder"):
        WriteAheadLog(tmp_path / "wal", max_bytes=1000, max_age_seconds=60).recover()
    first.close()
    WriteAheadLog(tmp_path / "wal", max_bytes=1000, max_age_seconds=60).recover()  # free again


def test_a_disk_error_refuses_with_503_and_keeps_only_acknowledged_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct: bool
) -> None:
    config = make_config(tmp_path / "home")
    real_fsync, real_pwritev = os.fsync, os.pwritev

    def failing_fsync(descriptor: int, *args: object) -> int:
        raise OSError(28, "No space left on device")

    with live_collector(config, direct=direct) as live:
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)

        def post(event_id: str) -> tuple[int, bytes]:
            connection.request("POST", "/collect?appId=shop", body=f'[{{"event_id":"{event_id}"}}]'.encode())
            response = connection.getresponse()
            return response.status, response.read()

        def health() -> int:
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            return response.status

        monkeypatch.setattr(os, "fsync", failing_fsync)
        monkeypatch.setattr(os, "pwritev", failing_fsync)  # the log's durable write (RWF_DSYNC) where it has one
        assert post("refused") == (503, b"cannot store the request now; retry")
        assert health() == 503
        monkeypatch.setattr(os, "fsync", real_fsync)
        monkeypatch.setattr(os, "pwritev", real_pwritev)
        assert post("accepted")[0] == 200
        assert health() == 200
    stored = [
        json.loads(line)["data"]
        for raw in Storage(config.home).list_files("raw")
        for line in gzip.decompress(Storage(config.home).read_bytes(raw.path)).splitlines()
    ]
    assert stored == ['[{"event_id":"accepted"}]']


def test_every_request_answered_200_before_a_graceful_shutdown_is_in_the_sink(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home")
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def sender(live_port: int, worker: int) -> None:
        for n in range(10_000):
            if stop.is_set():
                return
            event_id = f"w{worker}-{n}"
            try:
                connection = http.client.HTTPConnection("127.0.0.1", live_port, timeout=5)
                connection.request("POST", "/collect?appId=shop", body=f'[{{"event_id":"{event_id}"}}]'.encode())
                if connection.getresponse().status == 200:
                    with lock:
                        acknowledged.append(event_id)
                connection.close()
            except OSError:
                return  # the server has stopped listening

    with live_collector(config) as live:
        threads = [threading.Thread(target=sender, args=(live.port, w)) for w in range(4)]
        for thread in threads:
            thread.start()
        while len(acknowledged) < 200:
            time.sleep(0.01)
    stop.set()  # the collector shut down while requests were still arriving
    for thread in threads:
        thread.join()
    stored = {
        json.loads(json.loads(line)["data"])[0]["event_id"]
        for raw in Storage(config.home).list_files("raw")
        for line in gzip.decompress(Storage(config.home).read_bytes(raw.path)).splitlines()
    }
    assert len(acknowledged) >= 200
    assert set(acknowledged) <= stored

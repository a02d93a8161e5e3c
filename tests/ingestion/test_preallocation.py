"""Commits on the event loop, and segments made from zero-filled spares (``wal_writers``, ``wal_preallocate``)."""

from __future__ import annotations

import asyncio
import http.client
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from clickstream.contract import WAL_DIR
from clickstream.ingestion.wal import SPARE_PREFIX, WriteAheadLog
from tests.support.collector import live_collector
from tests.support.config import make_config

SEGMENT_BYTES = 64_000


async def spare_ready(wal: WriteAheadLog) -> list[Path]:
    for _ in range(500):
        spares = [path for path in wal.directory.glob(f"{SPARE_PREFIX}*") if not path.name.endswith(".tmp")]
        if spares:
            return spares
        await asyncio.sleep(0.01)
    raise AssertionError("no spare segment was prepared")


def test_a_new_segment_is_a_zero_filled_spare_cut_to_its_records_when_sealed(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, bytes, list[Path], WriteAheadLog]:
        wal = WriteAheadLog(tmp_path / "wal", max_bytes=SEGMENT_BYTES, max_age_seconds=3600, preallocate=True)
        wal.recover()
        committer = asyncio.create_task(wal.run_committer())
        [spare] = await spare_ready(wal)
        assert spare.stat().st_size == SEGMENT_BYTES and spare.read_bytes() == bytes(SEGMENT_BYTES)
        spare_inode = spare.stat().st_ino
        await wal.append(b'{"n":1}\n')
        [segment] = wal.directory.glob("*.open")
        open_size, open_inode = segment.stat().st_size, segment.stat().st_ino
        await wal.append(b'{"n":2}\n')
        wal.stop()
        await committer
        wal.close()
        assert open_inode == spare_inode  # the spare itself, renamed
        return open_size, segment.with_suffix(".seg").read_bytes(), list(wal.directory.iterdir()), wal

    open_size, sealed, left, wal = asyncio.run(scenario())
    assert open_size == SEGMENT_BYTES
    assert sealed == b'{"n":1}\n{"n":2}\n'
    assert sorted(path.name for path in left) == sorted(["LOCK", *(segment.name for segment in wal.sealed_segments())])


def test_recovery_cuts_a_spare_segment_at_its_last_line_before_the_zeros(tmp_path: Path) -> None:
    directory = tmp_path / "wal"
    directory.mkdir()
    zeros = bytes(1000)
    (directory / "1700000000000-000001.open").write_bytes(b'{"a":1}\n{"b":2}\n' + zeros)
    # a crash in the middle of a group's write: its later blocks reached the disk, an earlier one did not
    (directory / "1700000000001-000002.open").write_bytes(b'{"c":3}\n{"d":' + zeros + b'4}\n{"e":5}\n' + zeros)
    (directory / "1700000000002-000003.open").write_bytes(zeros)  # a spare taken, nothing committed
    sealed = WriteAheadLog(directory, max_bytes=1000, max_age_seconds=60).recover()
    assert [(segment.name, segment.read_bytes()) for segment in sealed] == [
        ("1700000000000-000001.seg", b'{"a":1}\n{"b":2}\n'),
        ("1700000000001-000002.seg", b'{"c":3}\n'),
    ]
    assert sorted(path.name for path in directory.iterdir()) == [
        "1700000000000-000001.seg",
        "1700000000001-000002.seg",
        "LOCK",
    ]


def test_recovery_deletes_spares_a_crash_left_behind(tmp_path: Path) -> None:
    directory = tmp_path / "wal"
    directory.mkdir()
    (directory / f"{SPARE_PREFIX}000001").write_bytes(bytes(100))
    (directory / f"{SPARE_PREFIX}000002.tmp").write_bytes(bytes(10))
    assert WriteAheadLog(directory, max_bytes=100, max_age_seconds=60).recover() == []
    assert [path.name for path in directory.iterdir()] == ["LOCK"]


def test_memory_mode_prepares_no_spares(tmp_path: Path) -> None:
    wal = WriteAheadLog(
        tmp_path / "wal", max_bytes=SEGMENT_BYTES, max_age_seconds=3600, durable=False, preallocate=True
    )
    assert not wal.preallocate


def flushing_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writers: int) -> set[str]:
    """The names of the threads that made commits durable, for a log with ``writers`` writer threads."""
    threads: set[str] = set()
    real_pwritev: Callable[..., int] = os.pwritev

    def recording(*args: object) -> int:
        threads.add(threading.current_thread().name)
        return real_pwritev(*args)

    monkeypatch.setattr(os, "pwritev", recording)

    async def scenario() -> None:
        wal = WriteAheadLog(tmp_path / "wal", max_bytes=10_000_000, max_age_seconds=3600, writers=writers)
        wal.recover()
        committer = asyncio.create_task(wal.run_committer())
        await asyncio.gather(*(wal.append(f'{{"n":{n}}}\n'.encode()) for n in range(20)))
        wal.stop()
        await committer
        wal.close()

    asyncio.run(scenario())
    return threads


def test_by_default_the_event_loop_commits_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert flushing_threads(tmp_path, monkeypatch, writers=0) == {threading.current_thread().name}


def test_with_writer_threads_the_threads_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert flushing_threads(tmp_path, monkeypatch, writers=2) <= {"wal-writer-0", "wal-writer-1"}


def test_a_record_line_never_holds_a_nul_byte_so_recovery_can_stop_at_one(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", ingestion={"segment_max_age_seconds": 3600})
    with live_collector(config, ship_interval_seconds=3600) as live:
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        connection.request("POST", "/collect?appId=shop", body=b'[{"event_id":"a\x00b"}]', headers={"User-Agent": "x"})
        assert connection.getresponse().status == 200
        [segment] = (config.home / WAL_DIR / "w0").glob("*.open")
        content = segment.read_bytes()
    line = content[: content.index(b"\n") + 1]
    assert b"\x00" not in line and b"a\\u0000b" in line

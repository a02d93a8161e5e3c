"""Shipping the logs of collectors that died: what makes a shared log root (an EFS mount) worth having.

With ``ingestion.wal_root`` every worker of every collector logs under ``<wal_root>/<task id>/<worker>``
on storage the whole fleet mounts. A collector whose task crashes (out of memory, a lost host) leaves
its folders behind with records it already answered 200 for; on task storage they would die with
the task. Here every collector, at start and every ``adopt_interval_seconds``, looks at the folders
of *other* collectors and ships those whose owner is gone, through the same sink and under the same
raw file names the owner would have used.

Who may ship a folder is decided by the folder's ``LOCK`` alone: a live worker holds an exclusive
``flock`` on it for as long as it runs (see :class:`~clickstream.ingestion.wal.WriteAheadLog`), the kernel (or,
on NFS, the server once the client's lease expires) drops it when the process dies, and an adopter
takes it with :meth:`WriteAheadLog.recover`, exactly as a restarted worker recovers its own folder:
torn tails cut, open segments sealed, sealed segments shipped and only then deleted. Two adopters
can never hold the lock at once, so a folder is shipped by one of them; one that crashes midway
leaves the rest for the next, and a segment shipped twice goes under the same name (file sinks
overwrite it with the same bytes). An unlocked folder is tried only once nothing in it has changed
for ``adopt_after_seconds``: a stopping worker unlocks before its last shipment (see
:func:`_changed_lately`).

Raw file names carry the task id (``<task>-<worker>-<segment>``): workers of different tasks all
count ``w0``, ``w1``..., and their segment names alone could meet in the same hour folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from clickstream.config import Config
from clickstream.contract import WAL_DIR
from clickstream.errors import ConfigError, SinkError
from clickstream.ingestion.shipper import ship_segments
from clickstream.ingestion.sinks.base import SegmentBatch, Sink
from clickstream.ingestion.wal import LOCK, WriteAheadLog

logger = logging.getLogger("clickstream.ingestion.adoption")

ECS_METADATA_ENV = "ECS_CONTAINER_METADATA_URI_V4"
TASK_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


# --- where a worker logs --------------------------------------------------------------------------


def task_id_from_metadata(uri: str, timeout: float = 2.0, attempts: int = 3) -> str:
    """The ECS task id (the last part of ``TaskARN``) from the task metadata endpoint v4.

    Asked a few times: the endpoint is local to the task, but a container can start before it answers.
    """
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(f"{uri.rstrip('/')}/task", timeout=timeout) as response:
                arn = json.loads(response.read())["TaskARN"]
            break
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if attempt < attempts:
                time.sleep(0.5 * attempt)
                continue
            raise ConfigError(
                f"cannot read the task id from the ECS metadata endpoint ${ECS_METADATA_ENV} ({uri}): {exc}",
                hint="set ingestion.wal_task_id, or unset the variable outside ECS",
            ) from None
    if not isinstance(arn, str) or not TASK_ID_PATTERN.match(arn.rsplit("/", 1)[-1]):
        raise ConfigError(f"the ECS metadata endpoint returned an unusable TaskARN {arn!r}")
    return arn.rsplit("/", 1)[-1]


def current_task_id(environ: Mapping[str, str] = os.environ, hostname: Callable[[], str] = socket.gethostname) -> str:
    """This collector's name under the log root: the ECS task id on ECS, else the host name."""
    uri = environ.get(ECS_METADATA_ENV)
    if uri:
        return task_id_from_metadata(uri)
    name = hostname().split(".", 1)[0]
    if not TASK_ID_PATTERN.match(name):
        raise ConfigError(
            f"the host name {name!r} cannot name a log folder",
            hint="set ingestion.wal_task_id (letters, digits, '.', '_' and '-')",
        )
    return name


def with_task_id(config: Config, environ: Mapping[str, str] = os.environ) -> Config:
    """``config`` with ``ingestion.wal_task_id`` filled in when a log root is set and it is not.

    Done once by the process that starts the workers, so they all agree (and the metadata endpoint is
    asked once).
    """
    ingestion = config.ingestion
    if ingestion.wal_root is None or ingestion.wal_task_id is not None:
        return config
    task = current_task_id(environ)
    return config.model_copy(update={"ingestion": ingestion.model_copy(update={"wal_task_id": task})})


def task_id(config: Config) -> str:
    """This collector's task id: ``ingestion.wal_task_id`` (filled in by :func:`with_task_id` at start), or
    looked up as :func:`current_task_id` does."""
    return config.ingestion.wal_task_id or current_task_id()


def wal_folder(config: Config, worker: str) -> Path:
    """The folder worker ``worker`` logs in: ``<wal_root>/<task id>/<worker>``, or ``<home>/wal/<worker>``."""
    ingestion = config.ingestion
    if ingestion.wal_root is None:
        return config.home / WAL_DIR / worker
    return Path(ingestion.wal_root) / task_id(config) / worker


# --- raw file names that carry the task --------------------------------------------------------


@dataclass(frozen=True)
class TaskSink:
    """A sink whose raw file names start with the task id: ``<task>-<worker>-<segment>.jsonl.gz``.

    The owner and whoever adopts its folder ship through one of these with the same task, so a segment
    shipped by both (the owner died between the sink's confirmation and the delete) keeps one name.
    """

    sink: Sink
    task: str

    def put_segment(self, batch: SegmentBatch) -> None:
        self.sink.put_segment(replace(batch, key=batch.key.with_name(f"{self.task}-{batch.key.name}")))


def shipping_sink(config: Config, sink: Sink) -> Sink:
    """The sink a worker ships through: ``sink`` itself, or a :class:`TaskSink` with a log root."""
    ingestion = config.ingestion
    if ingestion.wal_root is None:
        return sink
    return TaskSink(sink, task_id(config))


# --- adoption ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adopted:
    """One dead worker's folder whose segments were shipped (and which was removed, unless files were left)."""

    task: str
    worker: str
    segments: tuple[str, ...]
    records: int


def candidate_folders(root: Path, own_task: str, own_workers: frozenset[str]) -> list[Path]:
    """Worker folders under ``root`` that are not this collector's live workers (their owners may be dead)."""
    folders: list[Path] = []
    with contextlib.suppress(FileNotFoundError):
        for task in sorted(root.iterdir()):
            if not task.is_dir() or task.name.startswith("."):
                continue
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                for worker in sorted(task.iterdir()):
                    if not worker.is_dir() or (task.name == own_task and worker.name in own_workers):
                        continue
                    folders.append(worker)
    return folders


def unrooted_folders(config: Config) -> list[Path]:
    """Worker folders of ``<home>/wal``, the layout without a shared root, once a root is configured.

    A collector switched to a shared root no longer logs there, so nothing else would ship what an earlier
    run of it left behind (records it answered 200 for). They are adopted like a dead task's folders.
    """
    ingestion = config.ingestion
    unrooted = config.home / WAL_DIR
    if ingestion.wal_root is None or Path(ingestion.wal_root).resolve() == unrooted.resolve():
        return []
    with contextlib.suppress(FileNotFoundError):
        return sorted(folder for folder in unrooted.iterdir() if folder.is_dir() and not folder.name.startswith("."))
    return []


def _changed_lately(folder: Path, now: float, quiet_seconds: float) -> bool:
    """Whether files came or went in ``folder`` within ``quiet_seconds`` (or it is gone).

    An unlocked folder can still have an owner at work: a stopping worker releases its lock when it
    seals its last segment and ships that afterwards (each shipped segment's delete changes the
    folder), and a starting worker creates its folder just before it locks it. A crashed owner's
    folder stops changing; it is adopted once it has been quiet for ``ingestion.adopt_after_seconds``.
    """
    try:
        return now - folder.stat().st_mtime < quiet_seconds
    except FileNotFoundError:
        return True


def adopt_folder(folder: Path, sink: Sink, segment_max_bytes: int, segment_max_age_seconds: float) -> Adopted | None:
    """Ship and remove a dead worker's folder; None when its owner is alive or another adopter has it.

    A shipping failure is raised (the folder stays, with whatever was not shipped, for the next try).
    """
    task, worker = folder.parent.name, folder.name
    log = WriteAheadLog(folder, segment_max_bytes, segment_max_age_seconds)
    try:
        segments = log.recover()  # takes the LOCK or raises: the owner or another adopter holds it
    except SinkError:
        return None
    try:
        records = ship_segments(segments, TaskSink(sink, task), worker)
        remove_emptied_folder(folder, log.release)
    finally:
        log.close()
    return Adopted(task, worker, tuple(segment.name for segment in segments), records)


def remove_emptied_folder(folder: Path, release: Callable[[], None]) -> bool:
    """Remove a worker folder of the shared root whose segments were all shipped, its lock held by the caller.

    The lock file goes while it is still locked: a worker or adopter that opened it meanwhile finds it no
    longer the folder's lock (WriteAheadLog checks) and gives up. The folder itself can only go once the
    lock is released: on NFS (EFS) a file unlinked while open lingers as ``.nfsXXXX`` until it is closed.
    """
    left = [entry.name for entry in folder.iterdir() if entry.name != LOCK and not entry.name.startswith(".nfs")]
    if left:
        logger.warning("log folder still holds files; left in place", extra={"folder": str(folder), "files": left})
        return False
    (folder / LOCK).unlink()
    release()
    with contextlib.suppress(OSError):
        folder.rmdir()
    with contextlib.suppress(OSError):  # the task's folder, once its last worker folder is gone
        folder.parent.rmdir()
    return True


def adopt_orphans(config: Config, sink: Sink, now: Callable[[], float] = time.time) -> list[Adopted]:
    """Ship every folder under the log root whose owner is gone; this collector's live workers are skipped.

    A folder whose shipment fails is logged and left for the next round; the others still go.
    """
    ingestion = config.ingestion
    if ingestion.wal_root is None:
        return []
    own_task = task_id(config)
    own_workers = frozenset(f"w{n}" for n in range(ingestion.worker_count))
    adopted: list[Adopted] = []
    for folder in candidate_folders(Path(ingestion.wal_root), own_task, own_workers) + unrooted_folders(config):
        if _changed_lately(folder, now(), ingestion.adopt_after_seconds):
            continue
        try:
            result = adopt_folder(folder, sink, ingestion.segment_max_bytes, ingestion.segment_max_age_seconds)
        except Exception:
            logger.exception("shipping an adopted log folder failed; will retry", extra={"folder": str(folder)})
            continue
        if result is None:
            continue
        adopted.append(result)
        if result.segments:  # else: an empty folder (another adopter had just emptied it)
            logger.warning(
                "shipped the log of a collector that is gone",
                extra={
                    "task": result.task,
                    "worker": result.worker,
                    "segments": len(result.segments),
                    "records": result.records,
                },
            )
    return adopted


class Adopter:
    """Runs :func:`adopt_orphans` at start and every ``adopt_interval_seconds`` in a background thread."""

    def __init__(self, config: Config, sink: Sink) -> None:
        self.config = config
        self.sink = sink
        self.interval = config.ingestion.adopt_interval_seconds
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-adopter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the folder being shipped (a folder cut short is finished by the next adopter)."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                adopt_orphans(self.config, self.sink)
            except Exception:  # e.g. the mount is gone for a moment: the collector keeps serving
                logger.exception("looking for log folders to adopt failed")
            self.rounds += 1
            self._stop.wait(self.interval)


@contextlib.contextmanager
def adopting(config: Config, sink_factory: Callable[[Config], Sink]) -> Iterator[Adopter | None]:
    """An :class:`Adopter` running for the block when ``config`` has a log root; nothing otherwise."""
    if config.ingestion.wal_root is None:
        yield None
        return
    adopter = Adopter(config, sink_factory(config))
    adopter.start()
    try:
        yield adopter
    finally:
        adopter.stop()

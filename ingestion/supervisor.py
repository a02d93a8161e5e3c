"""Several collector worker processes on one listening socket, with stable worker ids.

The supervisor reserves the address and starts ``ingestion.workers`` processes (spawned, as uvicorn
does), each with its id ``w0``..``wN-1`` and therefore its own log folder (``<home>/wal/<id>/``, or
``<wal_root>/<task id>/<id>/`` with a shared log root, see :mod:`clickstream.ingestion.adoption`). Each worker
listens on its own ``SO_REUSEPORT`` socket, so the kernel spreads new connections evenly over the
workers (one shared socket lets whichever process wakes first take most of them), and a worker starts
listening only once it has recovered and shipped its log.

* A worker that dies is started again under the same id: its successor takes the folder's lock, seals
  and ships what the dead one left, and carries on.
* SIGTERM or SIGINT: the supervisor passes SIGTERM on; each worker closes its socket, finishes
  in-flight requests, commits, seals and ships its log, and exits. Workers
  still running after ``shutdown_timeout_seconds`` plus a margin for shipping are killed (their logs
  are shipped by the next start).
* A worker whose supervisor vanishes (even by ``kill -9``) is sent SIGTERM by the kernel
  (``PR_SET_PDEATHSIG``), so no orphan keeps a log folder locked.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.context import SpawnProcess
from types import FrameType
from typing import Any

from clickstream.config import Config
from clickstream.ingestion.logs import configure_json_logging

logger = logging.getLogger("clickstream.ingestion.supervisor")

_spawn = multiprocessing.get_context("spawn")
RESTART_DELAY_SECONDS = 1.0
SHIP_MARGIN_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def bind_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` in the address's ``SO_REUSEPORT`` group, not yet listening.

    Bound but not listening, it receives no connections: the supervisor's copy only reserves the
    address (and learns the port when 0 was asked for); uvicorn makes a worker's copy listen once the
    worker has started.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _die_with_parent(parent: int) -> None:
    """Ask Linux to send us SIGTERM when the supervisor dies; exit now if it already has."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        raise SystemExit(0)


class _EarlyStop:
    """Remembers a SIGTERM/SIGINT that arrives before uvicorn has its own handlers, and passes it on.

    Workers start with these signals blocked (see :meth:`Supervisor._start`), so a stop requested while
    a worker is still importing waits here instead of killing it before it has shipped its log.
    """

    def __init__(self) -> None:
        self.requested = False
        self.server: Any = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True

    def attach(self, server: Any) -> None:
        self.server = server
        if self.requested:
            server.should_exit = True  # start, ship what a predecessor left, then shut down at once


def _worker_main(config: Config, worker: str, index: int, host: str, port: int, log_level: str) -> None:
    early = _EarlyStop()
    for sig in _STOP_SIGNALS:
        signal.signal(sig, early)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    _die_with_parent(int(os.environ["CLICKSTREAM_SUPERVISOR_PID"]))
    if config.ingestion.pin_workers:
        pin_to_cpu(index, config.ingestion.worker_count)
    from clickstream.ingestion.server import run_worker

    sock = bind_socket(host, port)
    with contextlib.suppress(KeyboardInterrupt):
        run_worker(config, worker, [sock], host, port, log_level, on_server=early.attach)


def pin_to_cpu(index: int, workers: int) -> int | None:
    """Bind this process, and the threads it starts afterwards, to the ``index``-th CPU it may run on; None
    (nothing done) where the platform has no affinity call or there are more workers than CPUs.

    Why: a durable worker sleeps for every flush; woken, it was often moved to the core the other worker
    or the load was using, and lost its caches (decision 39; its measurements are in
    docs/performance.md#decision-39).
    """
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if workers > len(allowed):
        return None
    cpu = allowed[index % len(allowed)]
    os.sched_setaffinity(0, {cpu})
    return cpu


class Supervisor:
    """Starts, restarts and stops the worker processes."""

    def __init__(self, config: Config, host: str, port: int, log_level: str) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.log_level = log_level
        self.ids = [f"w{n}" for n in range(config.ingestion.worker_count)]
        self.processes: dict[str, SpawnProcess] = {}
        self._stop = threading.Event()

    def run(self) -> None:
        configure_json_logging(self.log_level, worker="supervisor")
        reservation = bind_socket(self.host, self.port)
        self.port = reservation.getsockname()[1]
        os.environ["CLICKSTREAM_SUPERVISOR_PID"] = str(os.getpid())
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            logger.info(
                "collector starting",
                extra={"workers": len(self.ids), "address": f"{self.host}:{self.port}"},
            )
            started: dict[str, float] = {}
            while not self._stop.is_set():
                for worker in self.ids:
                    process = self.processes.get(worker)
                    if process is not None and process.is_alive():
                        continue
                    if process is not None:
                        logger.error(
                            "worker exited; starting it again", extra={"worker": worker, "code": process.exitcode}
                        )
                        if time.monotonic() - started.get(worker, 0.0) < RESTART_DELAY_SECONDS:
                            continue  # do not spin on a worker that fails at once
                    started[worker] = time.monotonic()
                    self.processes[worker] = self._start(worker)
                self._stop.wait(0.2)
        finally:
            self._stop_workers()
            reservation.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start(self, worker: str) -> SpawnProcess:
        process = _spawn.Process(
            target=_worker_main,
            args=(self.config, worker, self.ids.index(worker), self.host, self.port, self.log_level),
            name=f"clickstream-{worker}",
        )
        # The child inherits the blocked mask through fork and exec, so a stop signal sent while it starts
        # stays pending until it can handle it; ours stays pending for the microseconds of the start.
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return process

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop.set()

    def _stop_workers(self) -> None:
        for process in self.processes.values():
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.ingestion.shutdown_timeout_seconds + SHIP_MARGIN_SECONDS
        for worker, process in self.processes.items():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.error("worker did not stop in time; killing it", extra={"worker": worker})
                process.kill()
                process.join()
        logger.info("collector stopped", extra={"workers": len(self.processes)})

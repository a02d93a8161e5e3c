"""The collector benchmark's own arithmetic and readiness check (bench/ingestion.py)."""

from __future__ import annotations

import socket
from types import ModuleType

import pytest

from tests.bench import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("ingestion.py")


def row(bench: ModuleType, scenario: str, rate: float) -> object:
    return bench.Row(scenario, 64, rate, rate * 10, 1.0, 2.0, 0, 30.0)


def test_median_round_is_the_middle_rate_and_notes_the_spread(bench: ModuleType) -> None:
    rounds = [row(bench, "durable", rate) for rate in (30_000, 25_000, 28_000)]

    median = bench.median_round(rounds)

    assert median.requests_per_second == 28_000
    assert median.note == "median of 3: 25,000-30,000"


def test_a_single_round_is_shown_as_measured(bench: ModuleType) -> None:
    only = row(bench, "durable", 30_000)

    assert bench.median_round([only]) is only


def test_ratio_to_the_baseline_pairs_rounds_that_ran_together(bench: ModuleType) -> None:
    durable = [row(bench, "durable", rate) for rate in (30_000, 20_000, 27_000)]
    bare = [row(bench, "bare-asgi", rate) for rate in (50_000, 40_000, 60_000)]

    # the rounds' ratios are 0.6, 0.5 and 0.45; the ratio of the medians (27,000 / 50,000 = 0.54)
    # would divide rates from different rounds
    assert bench.paired_ratio(durable, bare) == pytest.approx(0.5)


def test_listening_sockets_counts_each_reuseport_listener(bench: ModuleType) -> None:
    listeners: list[socket.socket] = []
    for _ in range(2):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", listeners[0].getsockname()[1] if listeners else 0))
        listeners.append(listener)
    port = listeners[0].getsockname()[1]
    try:
        assert bench.listening_sockets(port) == 0  # bound, not listening yet
        listeners[0].listen()
        assert bench.listening_sockets(port) == 1
        listeners[1].listen()
        assert bench.listening_sockets(port) == 2
    finally:
        for listener in listeners:
            listener.close()

"""The ETL benchmark's arithmetic over rounds (bench/etl.py)."""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import pytest

from tests.bench import BENCH, load_script

SCRIPT = BENCH / "etl.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("etl.py")


def run(events: float, seconds: float) -> dict[str, float]:
    return {"events": events, "seconds": seconds, "cpu_seconds": 2 * seconds, "peak_rss_mb": 100.0}


def test_the_median_round_is_the_run_with_the_middle_rate(bench: ModuleType) -> None:
    runs = [run(1000, 2), run(1000, 1), run(1000, 4)]  # 500, 1000 and 250 events/s
    assert bench.median_result(runs) is runs[0]


def test_of_an_even_count_of_rounds_the_lower_middle_one_is_the_median(bench: ModuleType) -> None:
    runs = [run(1000, 1), run(1000, 2), run(1000, 4), run(1000, 5)]
    assert bench.median_result(runs) is runs[2]


def test_the_share_of_the_physical_limit_pairs_each_round_with_its_own_limit(bench: ModuleType) -> None:
    # The host's speed drifts between rounds; each round's two runs are taken back to back.
    local = [run(60, 1), run(30, 1), run(35, 1)]
    physical = [run(200, 1), run(100, 1), run(70, 1)]  # rounds' ratios: 30 %, 30 %, 50 %
    assert bench.paired_share(local, physical) == pytest.approx(0.3)
    unpaired = bench.events_per_second(bench.median_result(local)) / bench.events_per_second(
        bench.median_result(physical)
    )
    assert unpaired == pytest.approx(0.35)  # 35 / 100: two medians from different rounds


def test_rounds_must_be_at_least_one() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--rounds", "0"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "--rounds needs at least 1" in result.stderr


def test_the_benchmark_says_which_path_built_the_columns(bench: ModuleType) -> None:
    assert bench.column_converter() == "compiled converter (clickstream.etl._columns)"  # `make` builds it

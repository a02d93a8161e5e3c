"""The ETL record decoder's fuzz target on the suite's fixed budget (bench/fuzz.py runs it for minutes)."""

from __future__ import annotations

from tests.etl.fuzz_targets import TARGETS
from tests.support.fuzzing import run_target


def test_the_record_decoder_fuzz_target_finds_nothing_on_its_budget() -> None:
    [target] = TARGETS
    run_target(target, 200)

"""The ETL transform's fuzz target on a fixed budget (``bench/fuzz.py`` runs it for minutes)."""

from __future__ import annotations

from tests.etl.fuzz_targets_transform import TARGETS
from tests.support.fuzzing import run_target


def test_hostile_sdk_events_become_rows_or_rejects_never_errors() -> None:
    [target] = TARGETS
    run_target(target, examples=300)

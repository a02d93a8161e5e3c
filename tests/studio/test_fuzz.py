"""The Studio's fuzz targets (tests/studio/fuzz_targets.py) on a fixed budget; bench/fuzz.py runs them for minutes."""

from __future__ import annotations

import pytest

from tests.studio.fuzz_targets import TARGETS
from tests.support.fuzzing import FuzzTarget, run_target

BUDGET = {"studio-request-models": 300, "studio-api": 150}


@pytest.mark.parametrize("target", TARGETS, ids=[target.name for target in TARGETS])
def test_the_fuzz_target_finds_nothing_on_its_budget(target: FuzzTarget) -> None:
    run_target(target, BUDGET[target.name])

"""Every benchmark script answers ``--help``: a newcomer's first step with it must not crash."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench import BENCH

SCRIPTS = sorted(path for path in BENCH.glob("*.py") if 'if __name__ == "__main__"' in path.read_text())


@pytest.mark.slow  # each script imports its whole stack in a fresh interpreter
@pytest.mark.parametrize("script", SCRIPTS, ids=[path.name for path in SCRIPTS])
def test_bench_script_prints_its_help(script: Path) -> None:
    result = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout

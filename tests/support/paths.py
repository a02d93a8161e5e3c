"""Where the tests find the repository, the original system's seed files and the shared reference."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "fixtures" / "seed"
SHARED_REFERENCE = REPO.parent / "shared" / "reference"

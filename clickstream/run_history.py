"""One row of the pipeline's run history: a stage of a cycle, or the cycle itself (stage ``cycle``).

The warehouse keeps these rows (``ods._pipeline_runs``, written by the loader's warehouses) and so does the
Studio's database (clickstream/state/runs.py); both take this one record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CYCLE = "cycle"  # the row of a whole cycle: "running" when it starts, its outcome when it ends


@dataclass(frozen=True)
class StageRecord:
    """One stage of one pipeline cycle, for the run-history tables."""

    run_id: str
    stage: str
    started_at: datetime
    ended_at: datetime
    status: str
    count_in: int
    count_out: int
    detail: str

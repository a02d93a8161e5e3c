"""What a cycle returns: one record per stage, and the cycle's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from clickstream.etl import EtlResult
from clickstream.loader import LoadResult
from clickstream.run_history import StageRecord

OK, PARTIAL, FAILED, SKIPPED, RUNNING = "ok", "partial", "failed", "skipped", "running"


@dataclass
class StageRun:
    """One stage of a cycle: when, how it ended, what went in and came out."""

    name: str
    started_at: datetime
    ended_at: datetime
    status: str
    count_in: int = 0
    count_out: int = 0
    detail: str = ""
    result: object = None

    @property
    def seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    def record(self, run_id: str) -> StageRecord:
        """This stage as a run-history row."""
        return StageRecord(
            run_id, self.name, self.started_at, self.ended_at, self.status, self.count_in, self.count_out, self.detail
        )


@dataclass
class CycleReport:
    """Every stage of one cycle, in order."""

    run_id: str
    stages: list[StageRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(stage.status == OK for stage in self.stages)

    def stage(self, name: str) -> StageRun:
        return next(stage for stage in self.stages if stage.name == name)

    @property
    def etl(self) -> EtlResult:
        result = self.stage("etl").result
        assert isinstance(result, EtlResult)
        return result

    @property
    def load(self) -> LoadResult:
        result = self.stage("load").result
        assert isinstance(result, LoadResult)
        return result


def summary_line(report: CycleReport) -> str:
    """The cycle in one line: each stage's status and seconds (also the run-history row's detail)."""
    parts = [f"{stage.name} {stage.status} {stage.seconds:.1f}s" for stage in report.stages]
    return f"run {report.run_id[:8]}: " + ", ".join(parts)

"""The pipeline's run history in the Studio's database: each cycle and its stages, for the pipeline page.

The warehouse keeps its own copy (``ods._pipeline_runs``); this one is readable while a cycle holds the
warehouse, and on every warehouse alike. A cycle's row is written when it starts and again when it ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from clickstream.run_history import CYCLE, StageRecord
from clickstream.state.database import as_utc, metadata_obj

runs_table = sa.Table(
    "pipeline_runs",
    metadata_obj,
    sa.Column("project_id", sa.String(255), primary_key=True),
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("stage", sa.String(64), primary_key=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("count_in", sa.BigInteger, nullable=False),
    sa.Column("count_out", sa.BigInteger, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)


def public(run: StageRecord) -> dict[str, Any]:
    """A stage's row in the API's words."""
    return {
        "stage": run.stage, "status": run.status, "startedAt": run.started_at.isoformat(),
        "endedAt": run.ended_at.isoformat(), "rowsIn": run.count_in, "rowsOut": run.count_out, "detail": run.detail,
    }  # fmt: skip


@dataclass(frozen=True)
class Cycle:
    run: StageRecord
    stages: tuple[StageRecord, ...]

    def public(self) -> dict[str, Any]:
        return {
            "runId": self.run.run_id, "status": self.run.status, "startedAt": self.run.started_at.isoformat(),
            "endedAt": self.run.ended_at.isoformat(), "detail": self.run.detail,
            "stages": [public(stage) for stage in self.stages],
        }  # fmt: skip


class RunHistory:
    def __init__(self, engine: sa.Engine, project_id: str) -> None:
        self.engine = engine
        self.project_id = project_id

    def record(self, runs: Sequence[StageRecord]) -> None:
        """Write these rows, replacing earlier rows of the same run and stage (a cycle's start row)."""
        with self.engine.begin() as connection:
            for run in runs:
                connection.execute(
                    runs_table.delete().where(
                        (runs_table.c.project_id == self.project_id)
                        & (runs_table.c.run_id == run.run_id)
                        & (runs_table.c.stage == run.stage)
                    )
                )
                connection.execute(runs_table.insert().values(project_id=self.project_id, **run.__dict__))

    def cycles(self, limit: int = 10) -> list[Cycle]:
        """The newest ``limit`` cycles, newest first, each with its stages in the order they ran."""
        newest = (
            sa.select(runs_table.c.run_id)
            .where((runs_table.c.project_id == self.project_id) & (runs_table.c.stage == CYCLE))
            .order_by(runs_table.c.started_at.desc())
            .limit(limit)
        )
        query = (
            sa.select(runs_table)
            .where((runs_table.c.project_id == self.project_id) & runs_table.c.run_id.in_(newest.scalar_subquery()))
            .order_by(runs_table.c.started_at, runs_table.c.ended_at)
        )
        with self.engine.connect() as connection:
            rows = [
                StageRecord(
                    r.run_id,
                    r.stage,
                    as_utc(r.started_at),
                    as_utc(r.ended_at),
                    r.status,
                    r.count_in,
                    r.count_out,
                    r.detail,
                )
                for r in connection.execute(query)
            ]
        cycles = [
            Cycle(run, tuple(stage for stage in rows if stage.run_id == run.run_id and stage.stage != CYCLE))
            for run in rows
            if run.stage == CYCLE
        ]
        return sorted(cycles, key=lambda cycle: cycle.run.started_at, reverse=True)

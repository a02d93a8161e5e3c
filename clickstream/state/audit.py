"""The audit log: every call that changed something, with the operator who made it, kept in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from clickstream.state.database import metadata_obj

audit_table = sa.Table(
    "audit_log",
    metadata_obj,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("operator", sa.String(255), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("path", sa.String(2048), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(255), nullable=False),
)


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    operator: str
    method: str
    path: str
    status: int
    request_id: str

    def public(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(), "operator": self.operator, "method": self.method, "path": self.path,
            "status": self.status, "requestId": self.request_id,
        }  # fmt: skip


class AuditLog:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def record(self, operator: str, method: str, path: str, status: int, request_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                audit_table.insert().values(
                    at=datetime.now(UTC),
                    operator=operator[:255],
                    method=method[:16],
                    path=path[:2048],
                    status=status,
                    request_id=request_id[:255],
                )
            )

    def recent(self, limit: int = 100) -> list[AuditRecord]:
        """The newest ``limit`` records, newest first."""
        query = sa.select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [
                AuditRecord(row.at, row.operator, row.method, row.path, row.status, row.request_id)
                for row in connection.execute(query)
            ]

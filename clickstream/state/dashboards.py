"""Saved dashboards: sheets of visuals, each an analysis request kept to be re-run on current data.

A visual is what ``action: PUBLISH`` adds: the analysis kind, its request (without the publishing fields),
a chart type and a title. A dashboard also keeps its own controls (a date range, platforms) that apply to
every visual when it is opened. Stored as JSON in one row per dashboard: a dashboard is read and written
whole, and adding a visual is one read-modify-write in a transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from clickstream.state.database import as_utc, metadata_obj

dashboards_table = sa.Table(
    "dashboards",
    metadata_obj,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.String(255), nullable=False, index=True),
    sa.Column("app_id", sa.String(127), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("sheets", sa.JSON, nullable=False),
    sa.Column("controls", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(255), nullable=False),
)


class UnknownDashboard(Exception):
    """No saved dashboard of this app has this id."""


class UnknownSheet(Exception):
    """The dashboard has no sheet of this id."""


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class SavedDashboard:
    id: str
    project_id: str
    app_id: str
    name: str
    description: str
    sheets: list[dict[str, Any]]
    controls: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    updated_by: str
    kind: str = field(default="saved")

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "title": self.name, "name": self.name, "description": self.description,
            "projectId": self.project_id, "appId": self.app_id, "sheets": self.sheets, "controls": self.controls,
            "createAt": self.created_at.isoformat(), "updateAt": self.updated_at.isoformat(),
            "operator": self.updated_by,
        }  # fmt: skip


def _dashboard(row: Any) -> SavedDashboard:
    return SavedDashboard(
        row.id, row.project_id, row.app_id, row.name, row.description, list(row.sheets), dict(row.controls),
        as_utc(row.created_at), as_utc(row.updated_at), row.updated_by,
    )  # fmt: skip


def with_ids(sheets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sheets and visuals each with an id (new ones get one), and a visuals list on every sheet."""
    return [
        {**sheet, "id": sheet.get("id") or new_id("sheet"),
         "visuals": [{**visual, "id": visual.get("id") or new_id("visual")} for visual in sheet.get("visuals", [])]}
        for sheet in sheets
    ]  # fmt: skip


class DashboardStore:
    def __init__(self, engine: sa.Engine, project_id: str) -> None:
        self.engine = engine
        self.project_id = project_id

    def _key(self, app_id: str, dashboard_id: str) -> sa.ColumnElement[bool]:
        table = dashboards_table.c
        return (table.project_id == self.project_id) & (table.app_id == app_id) & (table.id == dashboard_id)

    def all(self, app_id: str) -> list[SavedDashboard]:
        query = (
            sa.select(dashboards_table)
            .where((dashboards_table.c.project_id == self.project_id) & (dashboards_table.c.app_id == app_id))
            .order_by(dashboards_table.c.name, dashboards_table.c.id)
        )
        with self.engine.connect() as connection:
            return [_dashboard(row) for row in connection.execute(query)]

    def find(self, app_id: str, dashboard_id: str) -> SavedDashboard | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(dashboards_table).where(self._key(app_id, dashboard_id))).first()
        return None if row is None else _dashboard(row)

    def get(self, app_id: str, dashboard_id: str) -> SavedDashboard:
        found = self.find(app_id, dashboard_id)
        if found is None:
            raise UnknownDashboard(dashboard_id)
        return found

    def create(
        self, app_id: str, name: str, description: str, sheets: list[dict[str, Any]], controls: dict[str, Any],
        operator: str,
    ) -> SavedDashboard:  # fmt: skip
        now = datetime.now(UTC)
        dashboard = SavedDashboard(new_id("dash"), self.project_id, app_id, name, description,
                                   with_ids(sheets or [{"name": "Sheet 1"}]), controls, now, now, operator)  # fmt: skip
        values = {key: value for key, value in dashboard.__dict__.items() if key != "kind"}
        with self.engine.begin() as connection:
            connection.execute(dashboards_table.insert().values(**values))
        return dashboard

    def update(self, app_id: str, dashboard_id: str, operator: str, **changes: Any) -> SavedDashboard:
        """Replace the given fields (``name``, ``description``, ``sheets``, ``controls``)."""
        if "sheets" in changes:
            changes["sheets"] = with_ids(changes["sheets"])
        with self.engine.begin() as connection:
            done = connection.execute(
                dashboards_table.update()
                .where(self._key(app_id, dashboard_id))
                .values(**changes, updated_at=datetime.now(UTC), updated_by=operator)
            )
            if done.rowcount == 0:
                raise UnknownDashboard(dashboard_id)
        return self.get(app_id, dashboard_id)

    def delete(self, app_id: str, dashboard_id: str) -> None:
        with self.engine.begin() as connection:
            if connection.execute(dashboards_table.delete().where(self._key(app_id, dashboard_id))).rowcount == 0:
                raise UnknownDashboard(dashboard_id)

    def add_visual(
        self, app_id: str, dashboard_id: str, sheet_id: str, visual: dict[str, Any], operator: str
    ) -> tuple[SavedDashboard, str]:
        """Append ``visual`` to the sheet; the dashboard as saved and the visual's new id."""
        visual = {**visual, "id": new_id("visual")}
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(dashboards_table).where(self._key(app_id, dashboard_id)).with_for_update()
            ).first()
            if row is None:
                raise UnknownDashboard(dashboard_id)
            dashboard = _dashboard(row)
            if not any(sheet["id"] == sheet_id for sheet in dashboard.sheets):
                raise UnknownSheet(sheet_id)
            sheets = [
                {**sheet, "visuals": [*sheet["visuals"], visual]} if sheet["id"] == sheet_id else sheet
                for sheet in dashboard.sheets
            ]
            now = datetime.now(UTC)
            connection.execute(
                dashboards_table.update()
                .where(self._key(app_id, dashboard_id))
                .values(sheets=sheets, updated_at=now, updated_by=operator)
            )
        return replace(dashboard, sheets=sheets, updated_at=now, updated_by=operator), visual["id"]

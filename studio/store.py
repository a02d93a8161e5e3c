"""Display names and descriptions analysts give to events, parameters and attributes, in a real database.

SQLite in the home folder by default; PostgreSQL (or any SQLAlchemy URL of the two) for a shared
deployment. One table keyed by the catalog id (``project#app#...``), written with an upsert, so two
analysts saving the same entry leave the last save, never two rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from clickstream.state import open_engine

metadata_obj = sa.MetaData()
display = sa.Table(
    "metadata_display",
    metadata_obj,
    sa.Column("id", sa.String(1024), primary_key=True),
    sa.Column("project_id", sa.String(255), nullable=False),
    sa.Column("app_id", sa.String(255), nullable=False),
    sa.Column("display_name", sa.JSON, nullable=False),
    sa.Column("description", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(255), nullable=False),
)


def upsert(dialect: str, values: dict[str, Any]) -> sa.Insert:
    """INSERT ... ON CONFLICT (id) DO UPDATE, in the syntax SQLite and PostgreSQL share."""
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(display)
    changes = {key: insert.excluded[key] for key in ("display_name", "description", "updated_at", "updated_by")}
    return insert.values(**values).on_conflict_do_update(index_elements=["id"], set_=changes)


class DisplayStore:
    """Reads and writes display overrides; creates its table on first use."""

    def __init__(self, url: str) -> None:
        self.engine = open_engine(url)  # the Studio's database, shared with clickstream.state's tables
        metadata_obj.create_all(self.engine)

    def all(self, project_id: str, app_id: str) -> dict[str, dict[str, Any]]:
        """Every override of an app, by catalog id."""
        query = sa.select(display).where(display.c.project_id == project_id, display.c.app_id == app_id)
        with self.engine.connect() as connection:
            return {row.id: dict(row._mapping) for row in connection.execute(query)}

    def put(
        self, project_id: str, app_id: str, entry_id: str, display_name: dict[str, str],
        description: dict[str, str], user: str,
    ) -> dict[str, Any]:  # fmt: skip
        values = {
            "id": entry_id, "project_id": project_id, "app_id": app_id, "display_name": display_name,
            "description": description, "updated_at": datetime.now(UTC), "updated_by": user,
        }  # fmt: skip
        with self.engine.begin() as connection:
            connection.execute(upsert(self.engine.dialect.name, values))
        return values

    def close(self) -> None:
        self.engine.dispose()

"""The apps that may send events, live: created, changed and deleted through the Studio without a restart.

``clickstream.yml``'s ``apps`` seed the table (the Studio inserts those it lacks when it starts) and stay
the answer when there is no database. The rules that merge the two:

* an app in the table and not deleted is live, with the table's fields;
* a config app the API never changed keeps the config's timezone, so editing the YAML still works;
* a config app with no row yet is live (the Studio has not started since it was added);
* a deleted app is refused by the collector; its data stays until the data lifecycle removes it, so the
  pipeline still transforms and models what was accepted before (:meth:`LiveApps.pipeline_config`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from clickstream.config import AppConfig, Config
from clickstream.state.database import database_url, metadata_obj, open_engine, sqlite_file

SEED_OPERATOR = "clickstream.yml"

apps_table = sa.Table(
    "apps",
    metadata_obj,
    sa.Column("project_id", sa.String(255), primary_key=True),
    sa.Column("app_id", sa.String(127), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("cors_origins", sa.JSON, nullable=False),
    sa.Column("seeded", sa.Boolean, nullable=False),  # from clickstream.yml and never changed through the API
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(255), nullable=False),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
)


class AppExists(Exception):
    """An app with this id is live already."""


class UnknownApp(Exception):
    """No live app has this id."""


@dataclass(frozen=True)
class AppRecord:
    project_id: str
    app_id: str
    name: str
    description: str = ""
    timezone: str = "UTC"
    cors_origins: tuple[str, ...] = ()
    seeded: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str = ""
    deleted_at: datetime | None = None

    def public(self) -> dict[str, Any]:
        """The API's view, in the original console's field names."""
        return {
            "projectId": self.project_id, "appId": self.app_id, "name": self.name,
            "description": self.description, "timezone": self.timezone, "corsOrigins": list(self.cors_origins),
            "createAt": _iso(self.created_at), "updateAt": _iso(self.updated_at), "operator": self.updated_by,
            "deleted": self.deleted_at is not None,
        }  # fmt: skip


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _record(row: Any) -> AppRecord:
    return AppRecord(
        row.project_id, row.app_id, row.name, row.description, row.timezone, tuple(row.cors_origins or ()),
        bool(row.seeded), row.created_at, row.updated_at, row.updated_by, row.deleted_at,
    )  # fmt: skip


@dataclass(frozen=True)
class LiveApps:
    """The merged app list: those that may send events now, and those deleted whose data is kept."""

    active: tuple[AppRecord, ...]
    deleted: tuple[AppRecord, ...] = field(default=())

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(app.app_id for app in self.active)

    def find(self, app_id: str) -> AppRecord | None:
        return next((app for app in self.active if app.app_id == app_id), None)

    @property
    def origins(self) -> tuple[str, ...]:
        """Every live app's allowed origins, in first-seen order."""
        return tuple(dict.fromkeys(origin for app in self.active for origin in app.cors_origins))

    def pipeline_config(self, config: Config) -> Config:
        """``config`` with these apps: the live ones, then the deleted ones whose accepted data is still modelled."""
        apps = [AppConfig(id=app.app_id, timezone=app.timezone) for app in (*self.active, *self.deleted)]
        return config.model_copy(update={"apps": apps})


def merge(config: Config, rows: list[AppRecord]) -> LiveApps:
    """Apply the module's rules to the config's apps and the table's rows."""
    configured = {app.id: app for app in config.apps}
    live: dict[str, AppRecord] = {
        app.id: AppRecord(config.project_id, app.id, app.id, timezone=app.timezone, seeded=True) for app in config.apps
    }
    deleted: list[AppRecord] = []
    for row in rows:
        if row.deleted_at is not None:
            live.pop(row.app_id, None)
            deleted.append(row)
        elif row.seeded and row.app_id in configured:
            live[row.app_id] = replace(row, timezone=configured[row.app_id].timezone)  # the YAML still decides
        else:
            live[row.app_id] = row
    return LiveApps(tuple(live.values()), tuple(app for app in deleted if app.app_id not in live))


def live_apps(config: Config) -> LiveApps:
    """The apps now: the config's merged with the Studio's database, or the config's alone without one.

    A collector or a pipeline never creates the database: with SQLite and no file yet, the config decides.
    """
    url = database_url(config)
    file = sqlite_file(url)
    if file is not None and not file.is_file():
        return merge(config, [])
    return merge(config, AppStore(open_engine(url), config.project_id).rows())


class AppStore:
    """The ``apps`` table of one project."""

    def __init__(self, engine: sa.Engine, project_id: str) -> None:
        self.engine = engine
        self.project_id = project_id

    def rows(self) -> list[AppRecord]:
        query = sa.select(apps_table).where(apps_table.c.project_id == self.project_id).order_by(apps_table.c.app_id)
        with self.engine.connect() as connection:
            return [_record(row) for row in connection.execute(query)]

    def get(self, app_id: str) -> AppRecord | None:
        query = sa.select(apps_table).where(apps_table.c.project_id == self.project_id, apps_table.c.app_id == app_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _record(row) if row is not None else None

    def seed(self, apps: list[AppConfig]) -> list[str]:
        """Insert the config's apps that have no row yet (a deleted one stays deleted); the ids inserted."""
        now = datetime.now(UTC)
        inserted = []
        with self.engine.begin() as connection:
            known: set[str] = set(
                connection.execute(
                    sa.select(apps_table.c.app_id).where(apps_table.c.project_id == self.project_id)
                ).scalars()
            )
            for app in apps:
                if app.id in known:
                    continue
                connection.execute(
                    apps_table.insert().values(
                        project_id=self.project_id,
                        app_id=app.id,
                        name=app.id,
                        description="",
                        timezone=app.timezone,
                        cors_origins=[],
                        seeded=True,
                        created_at=now,
                        updated_at=now,
                        updated_by=SEED_OPERATOR,
                        deleted_at=None,
                    )
                )
                inserted.append(app.id)
        return inserted

    def create(self, app: AppConfig, name: str, description: str, cors_origins: list[str], operator: str) -> AppRecord:
        """A new live app; a deleted app of the same id comes back with these fields."""
        now = datetime.now(UTC)
        values = {
            "name": name or app.id, "description": description, "timezone": app.timezone,
            "cors_origins": cors_origins, "seeded": False, "updated_at": now, "updated_by": operator,
            "deleted_at": None,
        }  # fmt: skip
        with self.engine.begin() as connection:
            key = (apps_table.c.project_id == self.project_id) & (apps_table.c.app_id == app.id)
            existing = connection.execute(sa.select(apps_table.c.deleted_at).where(key)).first()
            if existing is None:
                connection.execute(
                    apps_table.insert().values(project_id=self.project_id, app_id=app.id, created_at=now, **values)
                )
            elif existing.deleted_at is None:
                raise AppExists(app.id)
            else:
                connection.execute(apps_table.update().where(key).values(created_at=now, **values))
        found = self.get(app.id)
        assert found is not None
        return found

    def update(self, app_id: str, operator: str, **changes: Any) -> AppRecord:
        """Change a live app's name, description, timezone or origins (keys as in the table)."""
        with self.engine.begin() as connection:
            key = (
                (apps_table.c.project_id == self.project_id)
                & (apps_table.c.app_id == app_id)
                & apps_table.c.deleted_at.is_(None)
            )
            done = connection.execute(
                apps_table.update()
                .where(key)
                .values(**changes, seeded=False, updated_at=datetime.now(UTC), updated_by=operator)
            )
            if done.rowcount == 0:
                raise UnknownApp(app_id)
        found = self.get(app_id)
        assert found is not None
        return found

    def delete(self, app_id: str, operator: str) -> AppRecord:
        """Mark a live app deleted: the collector refuses it from its next refresh; its data stays."""
        now = datetime.now(UTC)
        return self.update(app_id, operator, deleted_at=now)

"""Studio users and the group-to-role mapping, as the original console keeps them.

A user's roles come from their record when one exists, else from the token's groups through the mapping:
the one saved through ``/api/user/settings``, or ``studio.roles`` until one is saved. Both are read on every
request, so a change takes effect on the caller's next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from clickstream.state.database import as_utc, metadata_obj

ROLES = ("Admin", "Operator", "Analyst", "AnalystReader")

users_table = sa.Table(
    "users",
    metadata_obj,
    sa.Column("id", sa.String(255), primary_key=True),  # the name a token gives: email, username or sub
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(255), nullable=False),
)

role_settings_table = sa.Table(
    "role_settings",
    metadata_obj,
    sa.Column("id", sa.Integer, primary_key=True),  # one row: the mapping in force
    sa.Column("claim", sa.String(255), nullable=False),
    sa.Column("admin", sa.JSON, nullable=False),
    sa.Column("operator", sa.JSON, nullable=False),
    sa.Column("analyst", sa.JSON, nullable=False),
    sa.Column("analyst_reader", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(255), nullable=False),
)


class UserExists(Exception):
    """A user with this id has a record already."""


class UnknownUser(Exception):
    """No user record has this id."""


@dataclass(frozen=True)
class UserRecord:
    id: str
    name: str
    roles: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    updated_by: str

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "roles": list(self.roles), "createAt": self.created_at.isoformat(),
            "updateAt": self.updated_at.isoformat(), "operator": self.updated_by,
        }  # fmt: skip


@dataclass(frozen=True)
class RoleMapping:
    """Which token claim holds the groups, and the group names of each role."""

    claim: str
    admin: tuple[str, ...]
    operator: tuple[str, ...]
    analyst: tuple[str, ...]
    analyst_reader: tuple[str, ...]


def _user(row: Any) -> UserRecord:
    return UserRecord(
        row.id, row.name, tuple(row.roles), as_utc(row.created_at), as_utc(row.updated_at), row.updated_by
    )


class UserStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def all(self) -> list[UserRecord]:
        with self.engine.connect() as connection:
            return [_user(row) for row in connection.execute(sa.select(users_table).order_by(users_table.c.id))]

    def get(self, user_id: str) -> UserRecord | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(users_table).where(users_table.c.id == user_id)).first()
        return _user(row) if row is not None else None

    def create(self, user_id: str, name: str, roles: list[str], operator: str) -> UserRecord:
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            if connection.execute(sa.select(users_table.c.id).where(users_table.c.id == user_id)).first():
                raise UserExists(user_id)
            connection.execute(
                users_table.insert().values(
                    id=user_id, name=name or user_id, roles=roles, created_at=now, updated_at=now, updated_by=operator
                )
            )
        found = self.get(user_id)
        assert found is not None
        return found

    def update(self, user_id: str, operator: str, **changes: Any) -> UserRecord:
        with self.engine.begin() as connection:
            done = connection.execute(
                users_table.update()
                .where(users_table.c.id == user_id)
                .values(**changes, updated_at=datetime.now(UTC), updated_by=operator)
            )
            if done.rowcount == 0:
                raise UnknownUser(user_id)
        found = self.get(user_id)
        assert found is not None
        return found

    def delete(self, user_id: str) -> None:
        with self.engine.begin() as connection:
            if connection.execute(users_table.delete().where(users_table.c.id == user_id)).rowcount == 0:
                raise UnknownUser(user_id)

    def mapping(self) -> RoleMapping | None:
        """The mapping saved through the API, None while none is."""
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(role_settings_table).where(role_settings_table.c.id == 1)).first()
        if row is None:
            return None
        return RoleMapping(row.claim, tuple(row.admin), tuple(row.operator), tuple(row.analyst),
                           tuple(row.analyst_reader))  # fmt: skip

    def save_mapping(self, mapping: RoleMapping, operator: str) -> None:
        values = {
            "claim": mapping.claim, "admin": list(mapping.admin), "operator": list(mapping.operator),
            "analyst": list(mapping.analyst), "analyst_reader": list(mapping.analyst_reader),
            "updated_at": datetime.now(UTC), "updated_by": operator,
        }  # fmt: skip
        with self.engine.begin() as connection:
            connection.execute(role_settings_table.delete().where(role_settings_table.c.id == 1))
            connection.execute(role_settings_table.insert().values(id=1, **values))

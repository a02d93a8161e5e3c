"""``/api/user``: Studio users with their roles, and the mapping of token groups to roles (Admin only).

As in the original console: a user record (id = the name the token gives: email, else username, else sub)
fixes that user's roles; without one, the token's groups decide through the mapping of
``/api/user/settings``. Changes take effect on the user's next request. In local mode the one user stays
Admin whatever the records say.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from clickstream.config import StudioRolesConfig
from clickstream.state import ROLES, RoleMapping, UserStore
from clickstream.state.users import UnknownUser, UserExists
from clickstream.studio.auth import operator_name

JSON_PATH_PREFIX = "$.payload."


def _roles(values: list[str]) -> list[str]:
    unknown = [value for value in values if value not in ROLES]
    if unknown:
        raise ValueError(f"unknown role {unknown[0][:40]!r}; roles are {', '.join(ROLES)}")
    return list(dict.fromkeys(values))


class UserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=255)
    name: str = Field("", max_length=255)
    roles: list[str] = Field(max_length=4)

    @field_validator("roles")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return _roles(value)


class UserChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, max_length=255)
    name: str | None = Field(None, max_length=255)
    roles: list[str] | None = Field(None, max_length=4)

    @field_validator("roles")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _roles(value)


Names = str | list[str]


class RoleSettings(BaseModel):
    """The original's settings: a JSONPath to the groups in the token, and each role's group names."""

    model_config = ConfigDict(extra="forbid")

    role_json_path: str = Field(alias="roleJsonPath", max_length=255)
    admin_role_names: Names = Field(alias="adminRoleNames")
    operator_role_names: Names = Field(alias="operatorRoleNames")
    analyst_role_names: Names = Field(alias="analystRoleNames")
    analyst_reader_role_names: Names = Field(alias="analystReaderRoleNames")

    @field_validator("role_json_path")
    @classmethod
    def _payload_path(cls, value: str) -> str:
        if not value.startswith(JSON_PATH_PREFIX) or len(value) == len(JSON_PATH_PREFIX):
            raise ValueError(f"a JSONPath into the token's payload, such as {JSON_PATH_PREFIX}cognito:groups")
        return value

    def mapping(self) -> RoleMapping:
        def names(value: Names) -> tuple[str, ...]:
            items = value.split(",") if isinstance(value, str) else value
            return tuple(dict.fromkeys(name.strip() for name in items if name.strip()))

        return RoleMapping(
            self.role_json_path.removeprefix(JSON_PATH_PREFIX), names(self.admin_role_names),
            names(self.operator_role_names), names(self.analyst_role_names), names(self.analyst_reader_role_names),
        )  # fmt: skip


def settings_document(mapping: RoleMapping | StudioRolesConfig) -> dict[str, str]:
    return {
        "roleJsonPath": JSON_PATH_PREFIX + mapping.claim, "adminRoleNames": ",".join(mapping.admin),
        "operatorRoleNames": ",".join(mapping.operator), "analystRoleNames": ",".join(mapping.analyst),
        "analystReaderRoleNames": ",".join(mapping.analyst_reader),
    }  # fmt: skip


def user_routes(api: APIRouter, users: UserStore, configured: StudioRolesConfig) -> None:
    @api.get("/user")
    def list_users() -> list[dict[str, Any]]:
        return [user.public() for user in users.all()]

    @api.post("/user", status_code=201)
    def create_user(body: UserBody, request: Request) -> dict[str, Any]:
        try:
            return users.create(body.id, body.name, body.roles, operator_name(request)).public()
        except UserExists:
            raise HTTPException(409, f"user {body.id!r} exists already") from None

    @api.get("/user/settings")
    def get_settings() -> dict[str, str]:
        return settings_document(users.mapping() or configured)

    @api.post("/user/settings")
    def save_settings(body: RoleSettings, request: Request) -> dict[str, str]:
        mapping = body.mapping()
        users.save_mapping(mapping, operator_name(request))
        return settings_document(mapping)

    @api.put("/user/{user_id}")
    def update_user(user_id: str, body: UserChanges, request: Request) -> dict[str, Any]:
        if body.id is not None and body.id != user_id:
            raise HTTPException(400, "id: a user's id cannot change; create a new user instead")
        changes = body.model_dump(include={"name", "roles"}, exclude_none=True)
        try:
            return users.update(user_id, operator_name(request), **changes).public()
        except UnknownUser:
            raise HTTPException(404, f"no user {user_id!r}") from None

    @api.delete("/user/{user_id}")
    def delete_user(user_id: str) -> dict[str, str]:
        try:
            users.delete(user_id)
        except UnknownUser:
            raise HTTPException(404, f"no user {user_id!r}") from None
        return {"id": user_id}

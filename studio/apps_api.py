"""``/api/app``: the apps that may send events, created, changed and deleted while the stack runs.

The original console's routes and request fields (``projectId``, ``appId``, ``name``, ``description``,
``timezone``) plus ``corsOrigins``, the origins a browser may send that app's events from. App ids and
timezones follow the same rules as ``apps`` in clickstream.yml (one validator for both). A running
collector takes a change within ``ingestion.apps_refresh_seconds``; the next pipeline cycle transforms,
models and renders the new app (clickstream/state/apps.py).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clickstream.config import AppConfig, Config
from clickstream.state.apps import AppExists, AppRecord, AppStore, UnknownApp, merge
from clickstream.studio.auth import operator_name

# A browser origin (scheme, host, optional port) or a pattern of one with `*`, as ingestion.cors_origins takes.
_ORIGIN = re.compile(r"^(\*|https?://[A-Za-z0-9*.\-\[\]:]+)$")
Origins = Annotated[list[str], Field(max_length=50)]


def _origins(values: list[str]) -> list[str]:
    for value in values:
        if len(value) > 255 or not _ORIGIN.match(value):
            raise ValueError(f"{value[:80]!r} is not an origin such as https://shop.example.com")
    return list(dict.fromkeys(values))


class AppBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    project_id: str | None = Field(None, alias="projectId", max_length=255)
    app_id: str = Field(alias="appId", min_length=1, max_length=127)
    name: str = Field("", max_length=255)
    description: str = Field("", max_length=2000)
    timezone: str = Field("UTC", max_length=64)
    cors_origins: Origins = Field(default_factory=list, alias="corsOrigins")

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        return _origins(value)


class AppChanges(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    project_id: str | None = Field(None, alias="projectId", max_length=255)
    app_id: str | None = Field(None, alias="appId", max_length=127)
    name: str | None = Field(None, max_length=255)
    description: str | None = Field(None, max_length=2000)
    timezone: str | None = Field(None, max_length=64)
    cors_origins: Origins | None = Field(None, alias="corsOrigins")

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _origins(value)


class TimezoneBody(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    project_id: str | None = Field(None, alias="projectId", max_length=255)
    timezone: str = Field(max_length=64)


def validated_app(app_id: str, timezone: str) -> AppConfig:
    """The app as clickstream.yml would take it; a 400 naming the field otherwise."""
    try:
        return AppConfig(id=app_id, timezone=timezone)
    except ValidationError as error:
        problem = error.errors()[0]
        field = {"id": "appId"}.get(str(problem["loc"][0]), str(problem["loc"][0]))
        message = str(problem["msg"]).removeprefix("Value error, ")
        if problem["type"] == "string_pattern_mismatch":
            message = "starts with a letter; then letters, digits, '_' or '-'; at most 127 characters"
        raise HTTPException(400, f"{field}: {message}") from None


class AppsApi:
    """The routes' work, kept apart from FastAPI's wiring so the Studio and its tests share it."""

    def __init__(self, store: AppStore, config: Config) -> None:
        self.store = store
        self.config = config
        store.seed(config.apps)  # clickstream.yml's apps the table lacks; the config cannot change while serving

    def live(self) -> list[AppRecord]:
        return list(merge(self.config, self.store.rows()).active)

    def find(self, app_id: str) -> AppRecord:
        found = next((app for app in self.live() if app.app_id == app_id), None)
        if found is None:
            raise HTTPException(404, f"no app {app_id!r} in project {self.config.project_id!r}")
        return found

    def check_project(self, project_id: str | None) -> None:
        if project_id is not None and project_id != self.config.project_id:
            raise HTTPException(404, f"no project {project_id!r}; this Studio serves {self.config.project_id!r}")


def app_routes(api: APIRouter, apps: AppsApi) -> None:
    @api.get("/app")
    def list_apps() -> list[dict[str, Any]]:
        return [app.public() for app in apps.live()]  # the config's order first: its first app is the default

    @api.post("/app", status_code=201)
    def create_app(body: AppBody, request: Request) -> dict[str, Any]:
        apps.check_project(body.project_id)
        app = validated_app(body.app_id, body.timezone)
        try:
            created = apps.store.create(app, body.name, body.description, body.cors_origins, operator_name(request))
        except AppExists:
            raise HTTPException(409, f"app {body.app_id!r} exists already") from None
        return created.public()

    @api.get("/app/{app_id}")
    def get_app(app_id: str) -> dict[str, Any]:
        return apps.find(app_id).public()

    @api.put("/app/{app_id}")
    def update_app(app_id: str, body: AppChanges, request: Request) -> dict[str, Any]:
        apps.check_project(body.project_id)
        current = apps.find(app_id)
        if body.app_id is not None and body.app_id != app_id:
            raise HTTPException(400, "appId: an app id cannot change; create a new app instead")
        changes: dict[str, Any] = {
            key: value
            for key, value in body.model_dump(include={"name", "description", "cors_origins"}).items()
            if value is not None
        }
        if body.timezone is not None:
            changes["timezone"] = validated_app(app_id, body.timezone).timezone
        # From now on the row decides over clickstream.yml: keep the timezone in effect, not a stale seed.
        changes.setdefault("timezone", current.timezone)
        return _changed(apps, app_id, operator_name(request), changes)

    @api.put("/app/{app_id}/timezone")
    def set_timezone(app_id: str, body: TimezoneBody, request: Request) -> dict[str, Any]:
        apps.check_project(body.project_id)
        apps.find(app_id)
        timezone = validated_app(app_id, body.timezone).timezone
        return _changed(apps, app_id, operator_name(request), {"timezone": timezone})

    @api.delete("/app/{app_id}")
    def delete_app(app_id: str, request: Request) -> dict[str, Any]:
        apps.find(app_id)
        try:
            return apps.store.delete(app_id, operator_name(request)).public()
        except UnknownApp:
            raise HTTPException(404, f"no app {app_id!r}") from None


def _changed(apps: AppsApi, app_id: str, who: str, changes: dict[str, Any]) -> dict[str, Any]:
    try:
        return apps.store.update(app_id, who, **changes).public()
    except UnknownApp:
        raise HTTPException(404, f"no app {app_id!r}") from None

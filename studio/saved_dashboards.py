"""Saved dashboards in the Studio: create, arrange and delete them, publish analyses onto them, open them.

``/api/project/<project>/<app>/dashboard`` lists the saved dashboards beside the rendered and QuickSight
ones. A saved dashboard has sheets of visuals; ``POST /api/reporting/<analysis>`` with ``action: PUBLISH``,
``dashboardId`` and ``sheetId`` appends the request as a visual (its ``chartType`` and ``chartTitle`` or
``viewName``). ``GET .../dashboard/<id>/data`` re-runs every visual on current data with the dashboard's
controls (a date range and platforms, which the query string may override), each visual answered or
failed on its own, and keeps the answer until the data or the dashboard changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from clickstream.state import DashboardStore, SavedDashboard
from clickstream.state.dashboards import UnknownDashboard, UnknownSheet
from clickstream.studio.model import ExploreRequest

Kind = Literal["event", "funnel", "path", "retention", "attribution"]
ChartType = Literal["bar", "line", "funnel", "sankey", "table"]
# The fields that say where a request is published, not what it asks: not kept in a visual.
PUBLISHING_FIELDS = {"action", "dashboard_id", "sheet_id", "project_id", "view_name", "chart_title",
                     "chart_sub_title", "chart_type"}  # fmt: skip
CACHE_SIZE = 64


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Controls(_Camel):
    """A dashboard's own filters, applied to every visual when it is opened."""

    time_scope_type: Literal["FIXED", "RELATIVE"] | None = None
    time_start: date | None = None
    time_end: date | None = None
    last_n: int | None = Field(None, ge=1, le=3650)
    time_unit: Literal["DD", "WK", "MM", "YY"] | None = None
    platforms: list[str] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _complete(self) -> Controls:
        if self.time_scope_type == "FIXED" and not (self.time_start and self.time_end):
            raise ValueError("a FIXED time scope needs timeStart and timeEnd")
        if self.time_scope_type == "RELATIVE" and not (self.last_n and self.time_unit):
            raise ValueError("a RELATIVE time scope needs lastN and timeUnit")
        return self


class Visual(_Camel):
    id: str | None = Field(None, max_length=64)
    title: str = Field("", max_length=255)
    chart_type: ChartType | None = None
    analysis: Kind
    request: dict[str, Any]


class Sheet(_Camel):
    id: str | None = Field(None, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    visuals: list[Visual] = Field(default_factory=list, max_length=30)


class DashboardBody(_Camel):
    project_id: str | None = Field(None, max_length=255)
    app_id: str | None = Field(None, max_length=127)
    name: str = Field(min_length=1, max_length=255)
    description: str = Field("", max_length=2000)
    sheets: list[Sheet] = Field(default_factory=list, max_length=20)
    controls: Controls = Field(default_factory=Controls)


class DashboardChanges(_Camel):
    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=2000)
    sheets: list[Sheet] | None = Field(None, max_length=20)
    controls: Controls | None = None


def visual_of(kind: str, body: ExploreRequest) -> dict[str, Any]:
    """What PUBLISH keeps of a request: the analysis, its request without the publishing fields, chart and title."""
    request = body.model_dump(by_alias=True, mode="json", exclude_none=True, exclude=PUBLISHING_FIELDS)
    title = body.chart_title or body.view_name or f"{kind} analysis"
    return {"title": title, "chartType": body.chart_type, "analysis": kind, "request": request}


def with_controls(request: dict[str, Any], controls: Controls) -> dict[str, Any]:
    """``request`` with the dashboard's date range and platforms in force."""
    changed = dict(request)
    if controls.time_scope_type == "FIXED":
        for key in ("lastN", "timeUnit"):
            changed.pop(key, None)
        changed.update(timeScopeType="FIXED", timeStart=str(controls.time_start), timeEnd=str(controls.time_end))
    elif controls.time_scope_type == "RELATIVE":
        for key in ("timeStart", "timeEnd"):
            changed.pop(key, None)
        changed.update(timeScopeType="RELATIVE", lastN=controls.last_n, timeUnit=controls.time_unit)
    if controls.platforms:
        group = dict(changed.get("globalEventCondition") or {"conditions": [], "conditionOperator": "and"})
        conditions = list(group.get("conditions") or [])
        if group.get("conditionOperator", "and") == "or" and len(conditions) > 1:
            raise HTTPException(400, "the platform control cannot narrow a visual whose filter is an OR of several "
                                     "conditions; remove the platform control or the visual's OR")  # fmt: skip
        conditions.append({"category": "event_outer", "property": "platform", "operator": "in",
                           "value": list(controls.platforms), "dataType": "string"})  # fmt: skip
        changed["globalEventCondition"] = {"conditions": conditions, "conditionOperator": "and"}
    return changed


class VisualRunner:
    """Runs a dashboard's visuals, and keeps the answers per data version, dashboard version and controls."""

    def __init__(
        self,
        models: dict[str, type[ExploreRequest]],
        run: Callable[[str, ExploreRequest], dict[str, Any]],
        data_version: Callable[[], str],
    ) -> None:
        self.models = models
        self.run = run
        self.data_version = data_version
        self._cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, visual: Visual) -> None:
        """A 400 now, when saved, for a request its analysis would refuse at every opening."""
        try:
            self.models[visual.analysis].model_validate(visual.request)
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise HTTPException(400, f"visual {visual.title or visual.analysis!r}: {where}: {problem['msg']}") from None

    def open(self, dashboard: SavedDashboard, controls: Controls) -> dict[str, Any]:
        key = (dashboard.id, dashboard.updated_at.isoformat(), controls.model_dump_json(), self.data_version())
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return {**self._cache[key], "cached": True}
        answers = []
        for sheet in dashboard.sheets:
            for visual in sheet["visuals"]:
                answers.append({"sheetId": sheet["id"], "visualId": visual["id"], **self._answer(visual, controls)})
        document = {"dashboardId": dashboard.id, "controls": controls.model_dump(by_alias=True, mode="json"),
                    "visuals": answers}  # fmt: skip
        with self._lock:
            self._cache[key] = document
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return {**document, "cached": False}

    def _answer(self, visual: dict[str, Any], controls: Controls) -> dict[str, Any]:
        try:
            body = self.models[visual["analysis"]].model_validate(with_controls(visual["request"], controls))
            return {"result": self.run(visual["analysis"], body)}
        except HTTPException as error:
            return {"error": error.detail, "status": error.status_code}
        except ValidationError as error:
            return {"error": str(error.errors()[0]["msg"]), "status": 400}


def publish(store: DashboardStore, kind: str, body: ExploreRequest, operator: str) -> tuple[SavedDashboard, str]:
    """Add the request as a visual of its dashboard's sheet; 400 without both ids, 404 for unknown ones."""
    if not body.dashboard_id or not body.sheet_id:
        raise HTTPException(400, "action PUBLISH needs dashboardId and sheetId (create a dashboard first)")
    try:
        return store.add_visual(body.app_id, body.dashboard_id, body.sheet_id, visual_of(kind, body), operator)
    except UnknownDashboard:
        raise HTTPException(404, f"no saved dashboard {body.dashboard_id!r} for app {body.app_id!r}") from None
    except UnknownSheet:
        raise HTTPException(404, f"dashboard {body.dashboard_id!r} has no sheet {body.sheet_id!r}") from None

"""The Studio's HTTP application: the explore, metadata and dashboard API, login, pages and ECharts.

Routes keep the original console's paths (``/api/reporting/<analysis>``, ``/api/metadata/...``,
``/api/project/<project>/<app>/dashboard``) so its request bodies and role rules carry over. Every
/api route passes the role check of studio/auth.py; calls that change something must carry an
``X-Click-Stream-Request-Id`` header as in the original (a header a cross-site form cannot send).

Every answer carries the Studio's own ``X-Request-Id`` (studio/request_ids.py). A request body that does
not validate is a 400 whose ``detail`` lists each field and why (FastAPI's shape, without the input it
had, which may be huge or hostile); an engine's error is logged under the request id and answered 500
with that id only. In local mode the Host header is checked and sign-in is throttled (studio/signin.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote

import duckdb
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError

from clickstream import __version__
from clickstream.config import Config
from clickstream.state import AppStore, AuditLog, DashboardStore, SavedDashboard, UserStore, database_url, open_engine
from clickstream.state.dashboards import UnknownDashboard
from clickstream.studio.analyses import (
    Analysis,
    attribution_analysis,
    event_analysis,
    funnel_analysis,
    retention_analysis,
)
from clickstream.studio.apps_api import AppsApi, app_routes
from clickstream.studio.auth import (
    ANALYSTS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Authenticator,
    Unauthenticated,
    User,
    allowed,
    operator_name,
)
from clickstream.studio.catalog import Catalog, UnknownName, catalog_file, load_catalog
from clickstream.studio.dashboards import DashboardError, Dashboards
from clickstream.studio.deadline import QueryTimeout
from clickstream.studio.discovery import Discovery
from clickstream.studio.limits import MAX_BODY_BYTES, BodyLimit
from clickstream.studio.model import (
    AttributionRequest,
    EventRequest,
    ExploreRequest,
    FunnelRequest,
    PathRequest,
    RetentionRequest,
)
from clickstream.studio.paths import path_analysis
from clickstream.studio.pipeline_status import pipeline_status
from clickstream.studio.reader import QueryFailed, WarehouseClients, WarehouseReader, open_reader
from clickstream.studio.request_ids import (
    EngineFailed,
    RequestIds,
    engine_failed,
    engine_failed_response,
    json_bytes,
    safe_text,
)
from clickstream.studio.saved_dashboards import (
    Controls,
    DashboardBody,
    DashboardChanges,
    Sheet,
    VisualRunner,
    publish,
)
from clickstream.studio.signin import HostCheck, LoginThrottle, retry_after
from clickstream.studio.snapshot import NoSnapshot
from clickstream.studio.sqlbuild import DIALECTS, BadRequest, render
from clickstream.studio.store import DisplayStore
from clickstream.studio.users_api import user_routes
from clickstream.studio.warehouse_catalog import WarehouseCatalog
from clickstream.web_assets import ASSETS

STATIC = Path(__file__).resolve().parent / "static"
REQUEST_ID_HEADER = "X-Click-Stream-Request-Id"
R = TypeVar("R", bound=ExploreRequest)


class CatalogCache:
    """The catalog file, re-read when a cycle rewrote it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._catalog = Catalog()
        self._lock = threading.Lock()

    def get(self) -> Catalog:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return Catalog()
        with self._lock:
            if stamp != self._stamp:
                self._catalog, self._stamp = load_catalog(self.path), stamp
            return self._catalog


class Studio:
    """Everything a request needs, built once per server."""

    def __init__(
        self,
        config: Config,
        password: str | None = None,
        quicksight_client: Any = None,
        warehouse_clients: WarehouseClients | None = None,
    ) -> None:
        self.config = config
        self.settings = config.studio
        state = open_engine(database_url(config))
        self.users = UserStore(state)
        self.auth = Authenticator(config.studio, password, self.users)
        # warehouse.type picks the reader: the DuckDB serving snapshot, or Redshift / Athena queried directly
        self.clients = warehouse_clients or WarehouseClients()
        self.reader = open_reader(config, self.clients)
        self.catalog: CatalogCache | WarehouseCatalog = (
            WarehouseCatalog(
                self.reader,
                config.project_id,
                config.studio.warehouse.catalog_refresh_seconds,
                self.clients.clock,
            )
            if isinstance(self.reader, WarehouseReader)
            else CatalogCache(catalog_file(config))
        )
        self.store = DisplayStore(database_url(config))
        self.dashboards = Dashboards(config.home / "dashboards", config.studio, quicksight_client)
        self.apps = AppsApi(AppStore(state, config.project_id), config)
        self.audit = AuditLog(state)
        self.saved = DashboardStore(state, config.project_id)
        self.visuals = VisualRunner(
            {kind: model for kind, (model, _) in ANALYSES.items()},
            lambda kind, body: _run(self, kind, body),
            lambda: f"{self.reader.published_at()}|{self.reader.newest_event()}",
        )
        self.discovery = Discovery(config.studio)
        self.login_throttle = LoginThrottle()

    def timezone(self, app_id: str) -> str:
        """The live app's reporting timezone; 404 for an app that is not (or no longer) live."""
        timezones = {app.app_id: app.timezone for app in self.apps.live()}
        if app_id not in timezones:
            raise HTTPException(404, f"unknown app {app_id!r}; apps: {', '.join(timezones)}")
        return timezones[app_id]


async def signed_in_user(request: Request) -> User:
    """The caller, whatever their roles; 401 when not signed in."""
    studio: Studio = request.app.state.studio
    try:
        return await studio.auth.user(request.headers.get("authorization"), request.cookies.get(SESSION_COOKIE))
    except Unauthenticated as missing:
        raise HTTPException(missing.status, missing.reason) from None


async def current_user(request: Request, response: Response) -> User:
    """The caller, if signed in and allowed this route by the role rules (FastAPI runs this once per request)."""
    user = await signed_in_user(request)
    if not allowed(request.method, request.url.path, set(user.roles)):
        raise HTTPException(403, f"your roles ({', '.join(sorted(user.roles)) or 'none'}) do not allow this")
    if request.method != "GET" and not request.headers.get(REQUEST_ID_HEADER):
        raise HTTPException(400, f"a {request.method} needs the header {REQUEST_ID_HEADER}")
    response.headers["X-Click-Stream-Operator"] = header_value(user.name)
    request.state.user = user  # for the audit log and the routes that record who changed something
    return user


def header_value(text: str) -> str:
    """``text`` as a header value: as is when printable ASCII, else RFC 8187 ``UTF-8''`` and percent-encoding.

    Header values travel as Latin-1, so a name such as "张伟@example.com" cannot be sent raw (Starlette
    would fail the whole response with a 500); the extended-value form keeps it exact and decodable.
    """
    if text.isascii() and text.isprintable():
        return text
    return "UTF-8''" + quote(text, safe="!#$&+-.^_`|~@")


CurrentUser = Annotated[User, Depends(current_user)]


class DisplayBody(BaseModel):
    project_id: str | None = Field(None, alias="projectId")
    app_id: str = Field(alias="appId", min_length=1)
    id: str = Field(min_length=1, max_length=1024)
    display_name: dict[str, str] = Field(default_factory=dict, alias="displayName")
    description: dict[str, str] = Field(default_factory=dict)


class LoginBody(BaseModel):
    password: str = Field(min_length=1, max_length=1000)


def create_app(
    config: Config,
    password: str | None = None,
    quicksight_client: Any = None,
    warehouse_clients: WarehouseClients | None = None,
) -> FastAPI:
    """The Studio for ``config``; ``password`` fixes the local user's password (else config or random);
    ``warehouse_clients`` replace the AWS clients and the clock of a Redshift or Athena reader (tests)."""
    studio = Studio(config, password, quicksight_client, warehouse_clients)
    app = FastAPI(
        title="Clickstream Analytics Studio",
        version=__version__,
        description="Event, funnel, path, retention and attribution analyses; metadata catalog; dashboards.",
        # no Swagger UI (it loads from a CDN) and no unauthenticated schema: /openapi.json is served below
        docs_url=None, redoc_url=None, openapi_url=None,
    )  # fmt: skip
    app.state.studio = studio
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    if config.studio.auth == "local":  # DNS rebinding: a page of another name resolved to loopback
        app.add_middleware(HostCheck, allowed=[config.studio.host, *config.studio.allowed_hosts])
    app.add_middleware(RequestIds)  # outermost: every answer, a refusal included, carries the id

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, error: HTTPException) -> Response:
        detail = safe_text(error.detail) if isinstance(error.detail, str) else error.detail
        return Response(json_bytes({"error": detail}), error.status_code, error.headers, "application/json")

    @app.exception_handler(RequestValidationError)
    async def _invalid_body(request: Request, error: RequestValidationError) -> Response:
        """400 naming each field (``loc``) and what is wrong (``msg``); the input itself is not echoed."""
        detail = [
            {"type": problem.get("type", "value_error"),
             "loc": [safe_text(part) if isinstance(part, str) else part for part in problem.get("loc", ())],
             "msg": safe_text(str(problem.get("msg", "")))}
            for problem in error.errors()
        ]  # fmt: skip
        return Response(json_bytes({"detail": detail}), 400, media_type="application/json")

    @app.exception_handler(EngineFailed)
    async def _engine_failed(request: Request, error: EngineFailed) -> Response:
        return engine_failed_response(error)

    api = APIRouter(prefix="/api", dependencies=[Depends(current_user)])
    _reporting_routes(api, studio)
    _metadata_routes(api, studio)
    _dashboard_routes(api, studio)

    @api.get("/user/details")
    def user_details(user: CurrentUser) -> dict[str, Any]:
        return {"name": user.name, "roles": sorted(user.roles)}

    @api.get("/system/info")
    def system_info() -> dict[str, Any]:
        published, newest = studio.reader.published_at(), studio.reader.newest_event()
        return {
            "version": __version__, "projectId": config.project_id, "auth": studio.settings.auth,
            "snapshotPublishedAt": published.isoformat() if isinstance(published, datetime) else None,
            "newestEvent": newest,
        }  # fmt: skip

    app_routes(api, studio.apps)
    user_routes(api, studio.users, config.studio.roles)

    @api.get("/pipeline/{project_id}")
    def pipeline(project_id: str) -> dict[str, Any]:
        studio.apps.check_project(project_id)
        clients = studio.clients
        return pipeline_status(config, studio.reader.newest_event(), None, clients.cloudformation,
                               clients.stepfunctions)  # fmt: skip

    app.include_router(api)

    @app.middleware("http")
    async def _audit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Every call that may change something is kept in the audit log, refused ones included."""
        response = await call_next(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.url.path.startswith("/api/"):
            user = getattr(request.state, "user", None)
            await run_in_threadpool(
                studio.audit.record,
                user.name if isinstance(user, User) else "(not signed in)",
                request.method,
                request.url.path,
                response.status_code,
                request.headers.get(REQUEST_ID_HEADER) or response.headers.get("x-request-id", ""),
            )
        return response

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: Annotated[User, Depends(signed_in_user)]) -> JSONResponse:
        """The API's OpenAPI description, for any signed-in user (it maps the whole API, so not for everyone)."""
        return JSONResponse(app.openapi())

    _auth_routes(app, studio)
    _probe_routes(app)
    _static_routes(app)
    return app


def _probe_routes(app: FastAPI) -> None:
    """What a container's health check and a load balancer call: no sign-in, nothing read but the clock."""

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/ping", include_in_schema=False)
    def ping() -> dict[str, Any]:
        return {"timestamp": time.time() * 1000}


def _auth_routes(app: FastAPI, studio: Studio) -> None:
    @app.get("/auth/config")
    def auth_config() -> dict[str, Any]:
        """How the page signs in: local password, or the issuer's endpoints for a PKCE redirect."""
        settings = studio.settings
        document: dict[str, Any] = {"mode": settings.auth}
        if settings.auth == "oidc":
            document.update(studio.discovery.sign_in())
        return document

    @app.get("/auth/session")
    def session(request: Request) -> dict[str, Any]:
        """Whether the browser's session cookie is valid (local mode), so the page knows to show the login."""
        cookie = request.cookies.get(SESSION_COOKIE)
        return {
            "mode": studio.settings.auth,
            "signedIn": bool(studio.auth.local and cookie and studio.auth.session_valid(cookie)),
        }

    @app.post("/auth/login")
    def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
        if not studio.auth.local:
            raise HTTPException(401, "log in with your identity provider")
        address = request.client.host if request.client else "unknown"
        wait = studio.login_throttle.wait_seconds(address)
        if wait > 0:  # refused before the password is looked at, so guessing on meanwhile learns nothing
            raise HTTPException(429, "too many wrong passwords: wait before trying again",
                                headers={"Retry-After": retry_after(wait)})  # fmt: skip
        session = studio.auth.login(body.password)
        if session is None:
            studio.login_throttle.failed(address)
            raise HTTPException(401, "wrong password")
        studio.login_throttle.succeeded(address)
        response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_SECONDS, httponly=True, samesite="strict")
        return {"ok": True}

    @app.post("/auth/logout")
    def logout(request: Request, response: Response) -> dict[str, Any]:
        studio.auth.logout(request.cookies.get(SESSION_COOKIE))
        response.delete_cookie(SESSION_COOKIE)
        return {"ok": True}


def _static_routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        if name == "echarts.min.js":
            return FileResponse(ASSETS / "echarts.min.js", media_type="text/javascript")
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise HTTPException(404, "no such file")
        # browsers run a module script only when it is served as JavaScript: say so rather than trust the host's
        # MIME table
        media_type = "text/javascript" if path.suffix == ".js" else None
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


# --- reporting ---------------------------------------------------------------------------------------------

Builder = Callable[[Catalog, Any], Analysis]
ANALYSES: dict[str, tuple[type[ExploreRequest], Builder]] = {
    "event": (EventRequest, event_analysis),
    "funnel": (FunnelRequest, funnel_analysis),
    "path": (PathRequest, path_analysis),
    "retention": (RetentionRequest, retention_analysis),
    "attribution": (AttributionRequest, attribution_analysis),
}


def _build(studio: Studio, kind: str, body: ExploreRequest) -> Analysis:
    """The analysis for a request, read in the app's zone (``apps[].timezone``) unless the request names one."""
    zone = studio.timezone(body.app_id)
    if body.timezone is None:
        body = body.model_copy(update={"timezone": zone})
    try:
        return ANALYSES[kind][1](studio.catalog.get(), body)
    except (UnknownName, BadRequest) as error:
        raise HTTPException(400, str(error)) from None
    except QueryFailed as error:  # the warehouse's catalog could not be read
        raise engine_failed("reading the metadata catalog", error) from None
    except QueryTimeout as timeout:
        raise HTTPException(504, f"reading the metadata catalog: {timeout}") from None


def _run(studio: Studio, kind: str, body: ExploreRequest) -> dict[str, Any]:
    analysis = _build(studio, kind, body)
    dialect = studio.reader.dialect
    sql = render(analysis.tree_for(dialect), dialect, studio.reader.schema)
    try:
        result = studio.reader.query(sql, studio.timezone(body.app_id))
    except NoSnapshot:
        raise HTTPException(
            503, "no data published for the Studio yet: run a pipeline cycle (`clickstream run`) first"
        ) from None
    except QueryTimeout as timeout:
        raise HTTPException(504, str(timeout)) from None
    except (QueryFailed, duckdb.Error) as error:  # the engine's words go to the log only, under the request id
        raise engine_failed(f"{kind} query", error) from None
    rows = analysis.shape(result.rows)
    return {"kind": kind, "columns": list(rows[0]) if rows else [], "rows": rows, "dataAsOf": result.data_as_of,
            "sql": sql}  # fmt: skip


def _reporting_routes(api: APIRouter, studio: Studio) -> None:
    def add(kind: str, model: type[R]) -> None:
        def run(body: ExploreRequest, request: Request) -> dict[str, Any]:
            if body.action != "PUBLISH":
                return _run(studio, kind, body)
            user: User = request.state.user
            if not user.roles & ANALYSTS:  # readers may run analyses, not change a dashboard
                raise HTTPException(403, "publishing to a dashboard needs the Admin or Analyst role")
            result = _run(studio, kind, body)  # a request that cannot run is not published
            dashboard, visual_id = publish(studio.saved, kind, body, user.name)
            return {**result, "dashboardId": dashboard.id, "sheetId": body.sheet_id, "visualId": visual_id}

        def sql(body: ExploreRequest) -> dict[str, str]:
            analysis = _build(studio, kind, body)
            schema = studio.settings.warehouse.schema_name  # where the models are in Redshift / Athena
            return {dialect: render(analysis.tree_for(dialect), dialect, schema) for dialect in DIALECTS}

        # the body's model is chosen at run time: give FastAPI the class, not the postponed annotation
        run.__annotations__["body"] = sql.__annotations__["body"] = model
        api.add_api_route(f"/reporting/{kind}", run, methods=["POST"], summary=f"Run a {kind} analysis")
        api.add_api_route(f"/reporting/{kind}/sql", sql, methods=["POST"],
                          summary=f"The SQL of a {kind} analysis for DuckDB, Redshift and Athena")  # fmt: skip

    for kind, (model, _) in ANALYSES.items():
        add(kind, model)


# --- metadata ----------------------------------------------------------------------------------------------


def _with_display(studio: Studio, app_id: str, entries: list[dict[str, Any]], q: str | None) -> list[dict[str, Any]]:
    overrides = studio.store.all(studio.config.project_id, app_id)
    out = []
    for entry in entries:
        if entry.get("appId") != app_id:
            continue
        override = overrides.get(entry["id"], {})
        merged = {**entry, "displayName": override.get("display_name") or {},
                  "description": override.get("description") or {"en-US": entry.get("description", "")}}  # fmt: skip
        haystack = " ".join([entry["name"], *merged["displayName"].values(), *merged["description"].values()])
        if q and q.lower() not in haystack.lower():
            continue
        out.append(merged)
    return out


def _metadata_routes(api: APIRouter, studio: Studio) -> None:
    def document() -> dict[str, Any]:
        try:
            return studio.catalog.get().document
        except QueryTimeout as timeout:
            raise HTTPException(504, f"reading the metadata catalog: {timeout}") from None
        except QueryFailed as error:  # a warehouse catalog that could not be read
            raise engine_failed("reading the metadata catalog", error) from None

    @api.get("/metadata/events")
    def events(appId: str, q: str | None = None) -> list[dict[str, Any]]:
        studio.timezone(appId)
        return _with_display(studio, appId, document().get("events", []), q)

    @api.get("/metadata/event/{name}")
    def event(name: str, appId: str) -> dict[str, Any]:
        found = [e for e in _with_display(studio, appId, document().get("events", []), None) if e["name"] == name]
        if not found:
            raise HTTPException(404, f"app {appId} has no event {name!r}")
        parameters = [p for p in _with_display(studio, appId, document().get("eventParameters", []), None)
                      if name in p.get("summary", {}).get("associatedEvents", [])]  # fmt: skip
        return {**found[0], "associatedParameters": parameters}

    @api.get("/metadata/event_parameters")
    def event_parameters(appId: str, q: str | None = None) -> list[dict[str, Any]]:
        studio.timezone(appId)
        return _with_display(studio, appId, document().get("eventParameters", []), q)

    @api.get("/metadata/user_attributes")
    def user_attributes(appId: str, q: str | None = None) -> list[dict[str, Any]]:
        studio.timezone(appId)
        return _with_display(studio, appId, document().get("userAttributes", []), q)

    @api.get("/metadata/pathNodes")
    def path_nodes(appId: str) -> dict[str, list[dict[str, Any]]]:
        wanted = {"page_view_page_title": "pageTitles", "page_view_page_url": "pageUrls",
                  "screen_view_screen_name": "screenNames", "screen_view_screen_id": "screenIds"}  # fmt: skip
        nodes: dict[str, list[dict[str, Any]]] = {key: [] for key in wanted.values()}
        for parameter in document().get("eventParameters", []):
            if parameter.get("appId") == appId and parameter["name"] in wanted:
                nodes[wanted[parameter["name"]]] = parameter.get("summary", {}).get("valueEnum", [])
        return nodes

    @api.put("/metadata/display")
    def put_display(body: DisplayBody, user: CurrentUser) -> dict[str, Any]:
        studio.timezone(body.app_id)
        known = {entry["id"] for key in ("events", "eventParameters", "userAttributes")
                 for entry in document().get(key, []) if entry.get("appId") == body.app_id}  # fmt: skip
        if body.id not in known:
            raise HTTPException(404, f"no event, parameter or attribute with id {body.id!r} in app {body.app_id}")
        for field_name, values in (("displayName", body.display_name), ("description", body.description)):
            if any(len(value) > 1024 for value in values.values()):
                raise HTTPException(400, f"{field_name} values must be at most 1024 characters")
        saved = studio.store.put(studio.config.project_id, body.app_id, body.id, body.display_name,
                                 body.description, user.name)  # fmt: skip
        return {**saved, "updated_at": saved["updated_at"].isoformat()}


# --- dashboards --------------------------------------------------------------------------------------------


def _dashboard_routes(api: APIRouter, studio: Studio) -> None:
    def guarded(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except DashboardError as error:
            raise HTTPException(error.status, error.reason) from None

    def saved(app_id: str, dashboard_id: str) -> SavedDashboard:
        try:
            return studio.saved.get(app_id, dashboard_id)
        except UnknownDashboard:
            raise HTTPException(404, f"no saved dashboard {dashboard_id!r} for app {app_id!r}") from None

    def checked(project_id: str, app_id: str, sheets: list[Sheet] | None) -> None:
        studio.apps.check_project(project_id)
        studio.timezone(app_id)
        for sheet in sheets or []:
            for visual in sheet.visuals:
                studio.visuals.check(visual)

    def sheets_of(sheets: list[Sheet]) -> list[dict[str, Any]]:
        return [sheet.model_dump(by_alias=True, mode="json", exclude_none=True) for sheet in sheets]

    @api.get("/project/{project_id}/{app_id}/dashboard")
    def dashboards(project_id: str, app_id: str) -> list[dict[str, Any]]:
        studio.timezone(app_id)
        own = [dashboard.public() for dashboard in studio.saved.all(app_id)]
        return own + [dashboard.public() for dashboard in guarded(lambda: studio.dashboards.list(app_id))]

    @api.post("/project/{project_id}/{app_id}/dashboard", status_code=201)
    def create_dashboard(project_id: str, app_id: str, body: DashboardBody, request: Request) -> dict[str, Any]:
        checked(project_id, app_id, body.sheets)
        created = studio.saved.create(app_id, body.name, body.description, sheets_of(body.sheets),
                                      body.controls.model_dump(by_alias=True, mode="json"),
                                      operator_name(request))  # fmt: skip
        return created.public()

    @api.put("/project/{project_id}/{app_id}/dashboard/{dashboard_id}")
    def update_dashboard(project_id: str, app_id: str, dashboard_id: str, body: DashboardChanges,
                         request: Request) -> dict[str, Any]:  # fmt: skip
        checked(project_id, app_id, body.sheets)
        saved(app_id, dashboard_id)
        changes: dict[str, Any] = body.model_dump(include={"name", "description"}, exclude_none=True)
        if body.sheets is not None:
            changes["sheets"] = sheets_of(body.sheets)
        if body.controls is not None:
            changes["controls"] = body.controls.model_dump(by_alias=True, mode="json")
        return studio.saved.update(app_id, dashboard_id, operator_name(request), **changes).public()

    @api.delete("/project/{project_id}/{app_id}/dashboard/{dashboard_id}")
    def delete_dashboard(project_id: str, app_id: str, dashboard_id: str) -> dict[str, str]:
        saved(app_id, dashboard_id)
        studio.saved.delete(app_id, dashboard_id)
        return {"id": dashboard_id}

    @api.get("/project/{project_id}/{app_id}/dashboard/{dashboard_id}/data")
    def dashboard_data(
        project_id: str, app_id: str, dashboard_id: str,
        time_scope_type: Annotated[Literal["FIXED", "RELATIVE"] | None, Query(alias="timeScopeType")] = None,
        time_start: Annotated[date | None, Query(alias="timeStart")] = None,
        time_end: Annotated[date | None, Query(alias="timeEnd")] = None,
        last_n: Annotated[int | None, Query(alias="lastN")] = None,
        time_unit: Annotated[Literal["DD", "WK", "MM", "YY"] | None, Query(alias="timeUnit")] = None,
        platform: Annotated[list[str] | None, Query(max_length=64)] = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Every visual re-run on current data with the dashboard's controls; the query string overrides them."""
        dashboard = saved(app_id, dashboard_id)
        controls = dict(dashboard.controls)
        if time_scope_type is not None:
            controls.update(timeScopeType=time_scope_type, timeStart=time_start, timeEnd=time_end, lastN=last_n,
                            timeUnit=time_unit)  # fmt: skip
        if platform is not None:
            controls["platforms"] = platform
        try:
            chosen = Controls.model_validate(controls)
        except ValidationError as error:
            raise HTTPException(400, f"controls: {error.errors()[0]['msg']}") from None
        return studio.visuals.open(dashboard, chosen)

    @api.get("/project/{project_id}/{app_id}/dashboard/{dashboard_id}")
    def dashboard(project_id: str, app_id: str, dashboard_id: str) -> dict[str, Any]:
        own = studio.saved.find(app_id, dashboard_id)
        if own is not None:
            return own.public()
        found = guarded(lambda: studio.dashboards.find(app_id, dashboard_id))
        if found.kind == "rendered":
            url = f"/api/project/{project_id}/{app_id}/dashboard/{dashboard_id}/file"
        else:
            url = guarded(lambda: studio.dashboards.embed_url(found))
        return {**found.public(), "url": url}

    @api.get("/project/{project_id}/{app_id}/dashboard/{dashboard_id}/file")
    def dashboard_file(project_id: str, app_id: str, dashboard_id: str) -> FileResponse:
        found = guarded(lambda: studio.dashboards.find(app_id, dashboard_id))
        if found.kind != "rendered":
            raise HTTPException(404, f"dashboard {dashboard_id} is a QuickSight dashboard; open its embed URL")
        return FileResponse(guarded(lambda: studio.dashboards.rendered_file(found)), media_type="text/html")

"""`clickstream dashboards render`: one self-contained HTML file per dashboard and app, from DuckDB.

Files go to ``<home>/dashboards/`` with a manifest ``rendered.json`` that Analytics Studio reads.
Each file and the manifest are written to a temporary name and renamed, so a reader never sees half
a page, and a failed render leaves the previous files in place.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from clickstream.config import Config
from clickstream.errors import ClickstreamError
from clickstream.quicksight.offline.extract import DATE_KEY, PLATFORM_KEY, fetch_grain, grain_query, quote
from clickstream.quicksight.offline.page import dashboard_model, page_html
from clickstream.quicksight.output import dashboards_dir, write_atomically
from clickstream.quicksight.spec.load import bundled_dashboards
from clickstream.quicksight.spec.model import MART_SCHEMA, Dashboard

log = logging.getLogger(__name__)

MANIFEST = "rendered.json"
MAX_ROWS_PER_VISUAL = 50_000


@dataclass(frozen=True)
class RenderedDashboard:
    id: str
    title: str
    app_id: str
    file: str
    rendered_at: str
    path: Path


def rendered_id(dashboard: Dashboard, app_id: str) -> str:
    return f"{dashboard.id}-{re.sub(r'[^A-Za-z0-9_-]', '_', app_id)}"


def _latest_date(connection: Any, dashboard: Dashboard, app_id: str) -> date | None:
    """The newest date of any dataset of the dashboard for the app (the end of the embedded window)."""
    latest: date | None = None
    for dataset in dashboard.used_datasets.values():
        row = connection.execute(
            f"select max({quote(dataset.date_column)}) from {MART_SCHEMA}.{quote(dataset.model)} "
            f"where {quote(dataset.app_column)} = ?",
            [app_id],
        ).fetchone()
        value = row[0] if row else None
        if isinstance(value, datetime):
            value = value.date()
        if value is not None and (latest is None or value > latest):
            latest = value
    return latest


def dashboard_payload(
    connection: Any, dashboard: Dashboard, app_id: str, days: int, rendered_at: str
) -> dict[str, Any]:
    """The data and model one page embeds: every visual's rows for the app's last ``days`` days.

    Dates and times are taken in UTC whatever the machine's zone: DuckDB formats and converts a
    TIMESTAMPTZ in its session zone, which it takes from the environment.
    """
    connection.execute("set TimeZone = 'UTC'")
    latest = _latest_date(connection, dashboard, app_id) or datetime.now(UTC).date()
    since = latest - timedelta(days=days - 1)
    data: dict[str, Any] = {}
    dates: set[str] = set()
    platforms: set[str] = set()
    for sheet in dashboard.sheets:
        for visual in sheet.visuals:
            query = grain_query(visual, dashboard.datasets[visual.dataset], app_id, since, MAX_ROWS_PER_VISUAL)
            table = fetch_grain(connection, query, f"{dashboard.id}/{visual.id} (app {app_id})")
            data[visual.id] = table
            date_at, platform_at = table["columns"].index(DATE_KEY), table["columns"].index(PLATFORM_KEY)
            dates.update(row[date_at] for row in table["rows"])
            platforms.update(row[platform_at] for row in table["rows"])
    min_date = min(dates) if dates else since.isoformat()
    max_date = latest.isoformat()
    default_start = max(min_date, (latest - timedelta(days=dashboard.default_days - 1)).isoformat())
    return {
        "dashboard": dashboard_model(dashboard),
        "appId": app_id,
        "renderedAt": rendered_at,
        "minDate": min_date,
        "maxDate": max_date,
        "defaultStart": default_start,
        "platforms": sorted(platforms),
        "data": data,
    }


def render_dashboards(config: Config, dashboards: Sequence[Dashboard] | None = None) -> list[RenderedDashboard]:
    """Render every dashboard for every configured app; returns what was written (also in rendered.json)."""
    if config.warehouse.type != "duckdb":
        raise ClickstreamError(
            f"offline dashboards read the DuckDB warehouse; warehouse.type is {config.warehouse.type}",
            hint="publish them to QuickSight instead: clickstream dashboards publish",
        )
    if not config.warehouse_path.exists():
        raise ClickstreamError(
            f"no warehouse at {config.warehouse_path}", hint="run the pipeline first: clickstream run (or demo)"
        )
    chosen = list(dashboards if dashboards is not None else bundled_dashboards())
    folder = dashboards_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    rendered_at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    results: list[RenderedDashboard] = []
    try:
        connection = duckdb.connect(str(config.warehouse_path), read_only=True)
    except duckdb.Error as error:
        raise ClickstreamError(f"cannot open the warehouse {config.warehouse_path}: {error}") from None
    try:
        for dashboard in chosen:
            for app_id in config.app_ids:
                try:
                    payload = dashboard_payload(connection, dashboard, app_id, config.dashboards.days, rendered_at)
                except duckdb.CatalogException as error:
                    raise ClickstreamError(
                        f"dashboard {dashboard.id}: a report table is missing ({error})",
                        hint="build the models first: clickstream model (or clickstream run)",
                    ) from None
                identifier = rendered_id(dashboard, app_id)
                title = f"{dashboard.title} - {app_id}"
                path = folder / f"{identifier}.html"
                write_atomically(path, page_html(title, payload))
                results.append(RenderedDashboard(identifier, title, app_id, path.name, rendered_at, path))
                log.info("rendered dashboard %s for app %s -> %s", dashboard.id, app_id, path)
    finally:
        connection.close()
    manifest = {
        "dashboards": [
            {"id": r.id, "title": r.title, "app_id": r.app_id, "file": r.file, "rendered_at": r.rendered_at}
            for r in results
        ]
    }
    write_atomically(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return results

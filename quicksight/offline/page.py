"""The self-contained HTML page of one offline dashboard: ECharts, the data and the script, all inlined.

The page has no network access to ask for: the embedded rows (see ``clickstream.quicksight.offline.extract``) are
filtered and aggregated in the browser when the viewer changes the date range, the platform or a
parameter, with the same aggregations QuickSight applies to the same datasets.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from clickstream.quicksight.offline.extract import part_key
from clickstream.quicksight.spec.model import Dashboard, Visual
from clickstream.web_assets import echarts_js


def visual_model(visual: Visual) -> dict[str, Any]:
    """What the page's script needs to know about a visual (filters done in SQL are left out)."""
    parts = {part_key(part): part for measure in visual.measures for part in measure.parts}
    measures = []
    for measure in visual.measures:
        keys = [part_key(part) for part in measure.parts]
        measures.append(
            {
                "label": measure.label,
                "keys": keys,
                "ratio": measure.ratio is not None,
                "format": measure.format,
                "axis": measure.axis,
            }
        )
    sort: dict[str, Any] | None = None
    if visual.sort is not None:
        dimension_columns = [d.column for d in visual.dimensions]
        if visual.sort.by in dimension_columns:
            sort = {"dimension": dimension_columns.index(visual.sort.by), "direction": visual.sort.direction}
        else:
            index = next(i for i, m in enumerate(visual.measures) if visual.sort.by in {p.column for p in m.parts})
            sort = {"measure": index, "direction": visual.sort.direction}
    return {
        "id": visual.id,
        "title": visual.title,
        "type": visual.type,
        "dimensions": [
            {"column": d.column, "label": d.label, "dated": d.granularity is not None} for d in visual.dimensions
        ],
        "color": {"column": visual.color.column, "label": visual.color.label} if visual.color else None,
        "parts": [{"key": key, "column": p.column, "aggregation": p.aggregation} for key, p in parts.items()],
        "measures": measures,
        "filters": [{"column": f.column, "parameter": f.parameter} for f in visual.filters if f.parameter],
        "sort": sort,
        "topN": visual.top_n,
        "palette": visual.palette,
        "horizontal": visual.horizontal,
    }


def dashboard_model(dashboard: Dashboard) -> dict[str, Any]:
    return {
        "id": dashboard.id,
        "title": dashboard.title,
        "defaultDays": dashboard.default_days,
        "parameters": {name: p.model_dump() for name, p in dashboard.parameters.items()},
        "palettes": {
            name: [{"value": e.value, "label": e.shown, "color": e.color} for e in entries]
            for name, entries in dashboard.palettes.items()
        },
        "sheets": [
            {"id": s.id, "title": s.title, "controls": s.controls, "visuals": [visual_model(v) for v in s.visuals]}
            for s in dashboard.sheets
        ],
    }


_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element whatever the data holds (a page title, an event name, a user agent).

    Escaping only ``</`` is not enough: ``<!--<script`` switches the HTML parser into a state where
    the closing tag no longer ends the element, and the page's own script is swallowed. With every
    ``<``, ``>`` and ``&`` written as a JSON unicode escape, no markup can appear in the element at all;
    U+2028 and U+2029 are escaped too for scripts that would eval the text. ``JSON.parse`` reads the same values.
    """
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).translate(_SCRIPT_ESCAPES)


ASSETS = Path(__file__).resolve().parent / "assets"


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def page_html(title: str, payload: dict[str, Any]) -> str:
    """The whole page: styles, ECharts, the payload as JSON and the dashboard script."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_asset('dashboard.css')}</style>\n"
        f"<script>{echarts_js()}</script>\n</head>\n<body>\n"
        f'<header><h1>{html.escape(title)}</h1><div id="filters"></div></header>\n'
        '<nav id="tabs"></nav>\n<main id="sheets"></main>\n'
        f'<script type="application/json" id="dashboard-data">{_script_json(payload)}</script>\n'
        f"<script>{_asset('dashboard.js')}</script>\n</body>\n</html>\n"
    )

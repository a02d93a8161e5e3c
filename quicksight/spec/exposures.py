"""dbt exposures generated from the dashboard spec, so dbt's lineage shows what each dashboard reads.

``dbt_project/models/exposures.yml`` is this module's output and nothing else: a test compares the
committed file with a fresh generation, and `clickstream dashboards exposures` rewrites it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from clickstream.quicksight.spec.model import Dashboard

HEADER = (
    "# Generated from quicksight/spec/specs/ by `clickstream dashboards exposures`: edit the spec, not this file.\n"
    "# A test fails when this file differs from what the spec generates.\n"
)


def exposure(dashboard: Dashboard) -> dict[str, Any]:
    """One dbt exposure for a dashboard: its sheets in the description, its datasets' models as refs."""
    sheets = ", ".join(sheet.title for sheet in dashboard.sheets)
    visuals = sum(len(sheet.visuals) for sheet in dashboard.sheets)
    return {
        "name": f"{dashboard.id}_dashboard",
        "label": dashboard.title,
        "type": "dashboard",
        "maturity": "medium",
        "description": (
            f"The preset dashboard of the original, per app: sheets {sheets} ({visuals} visuals). "
            "Published to QuickSight by `clickstream dashboards publish` and rendered offline as HTML by "
            "`clickstream dashboards render`, both from quicksight/spec/specs/."
        ),
        "owner": {"name": "clickstream maintainers"},
        "depends_on": [f"ref('{dataset.model}')" for dataset in dashboard.used_datasets.values()],
    }


def exposures_yaml(dashboards: Sequence[Dashboard]) -> str:
    """The text of exposures.yml for these dashboards."""
    document = {"version": 2, "exposures": [exposure(dashboard) for dashboard in dashboards]}
    return HEADER + "\n" + yaml.safe_dump(document, sort_keys=False, width=100)


def exposures_path(project_dir: Path) -> Path:
    return project_dir / "models" / "exposures.yml"


def write_exposures(dashboards: Sequence[Dashboard], project_dir: Path) -> Path:
    """Rewrite the project's exposures.yml from the spec (whole file, atomically)."""
    path = exposures_path(project_dir)
    temporary = path.with_suffix(".yml.tmp")
    temporary.write_text(exposures_yaml(dashboards), encoding="utf-8")
    temporary.replace(path)
    return path

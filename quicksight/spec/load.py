"""The dashboard spec read from ``specs/`` and validated: a broken spec names the file, the key path and the fix.

``specs/datasets.yml`` holds the datasets every dashboard shares; each other ``specs/*.yml`` is one
dashboard. The YAML files ship as package data beside this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clickstream.config import read_yaml_mapping
from clickstream.errors import ConfigError
from clickstream.quicksight.spec.model import Dashboard

DATASETS_FILE = "datasets.yml"
SPECS_DIR = Path(__file__).resolve().parent / "specs"


def _read_yaml(path: Path, label: str) -> dict[str, Any]:
    data = read_yaml_mapping(path, f"dashboard spec {label}")
    if data is None:
        raise ConfigError(f"dashboard spec {label} must hold a mapping of keys, not an empty file")
    return data


def parse_dashboard(data: Mapping[str, Any], datasets: Mapping[str, Any], label: str) -> Dashboard:
    """Validate one dashboard document against the shared datasets; errors name the key path."""
    try:
        return Dashboard.model_validate({**data, "datasets": dict(datasets)})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"{key}: {re.sub(r'^Value error, ', '', error['msg'])}")
        raise ConfigError(
            f"invalid dashboard spec {label}: " + "; ".join(problems),
            hint=f"fix the key(s) named above in quicksight/spec/specs/ ({label})",
        ) from None


def load_dashboards(folder: Path | None = None) -> list[Dashboard]:
    """Every dashboard under ``folder`` (default: the bundled specs), sorted by file name."""
    root = folder if folder is not None else SPECS_DIR
    datasets_doc = _read_yaml(root / DATASETS_FILE, DATASETS_FILE)
    datasets = datasets_doc.get("datasets")
    if not isinstance(datasets, dict):
        raise ConfigError(f"dashboard spec {DATASETS_FILE} needs a datasets: mapping")
    files = sorted(
        (entry for entry in root.iterdir() if entry.name.endswith(".yml") and entry.name != DATASETS_FILE),
        key=lambda entry: entry.name,
    )
    dashboards = [parse_dashboard(_read_yaml(entry, entry.name), datasets, entry.name) for entry in files]
    ids = [dashboard.id for dashboard in dashboards]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"dashboard ids are not unique: {ids}", hint="give each spec file its own id")
    if not dashboards:
        raise ConfigError(f"no dashboard spec found beside {DATASETS_FILE}")
    return dashboards


@cache
def bundled_dashboards() -> tuple[Dashboard, ...]:
    """The dashboards shipped with the package (parsed once)."""
    return tuple(load_dashboards())

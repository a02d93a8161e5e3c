"""Configs rooted in a temporary folder, with the two apps most tests send events for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clickstream.config import Config, parse_config


def make_config(home: Path, **overrides: Any) -> Config:
    """A config whose home is ``home``; overrides are top-level sections as plain dicts."""
    data: dict[str, Any] = {"home": str(home), "apps": [{"id": "shop"}, {"id": "uba-app"}]}
    data.update(overrides)
    return parse_config(data, home)

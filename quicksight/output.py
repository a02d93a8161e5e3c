"""The folder both sides write to: ``<home>/dashboards/`` holds the offline pages and the publish record.

Analytics Studio reads both from there, so the publisher and the offline renderer share this module
rather than importing each other.
"""

from __future__ import annotations

from pathlib import Path

from clickstream.config import Config
from clickstream.storage import Storage


def dashboards_dir(config: Config) -> Path:
    return config.home / "dashboards"


def write_atomically(path: Path, text: str) -> None:
    """Readers (a browser, the Studio) see the old file or the new one, never half of one."""
    Storage(path.parent).write_bytes(path.name, text.encode("utf-8"))

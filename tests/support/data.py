"""Test data: the original system's seed files, and the events a collector wrote to raw files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from clickstream.storage import Storage
from tests.support.paths import SEED


def seed_file(name: str) -> Path:
    """A file of the original system's test data (copied under tests/fixtures/seed with its licence)."""
    path = SEED / name
    assert path.exists(), f"missing fixture {path}"
    return path


def raw_events(home: Path) -> list[dict[str, Any]]:
    """Every event in the raw files under ``home`` (plain JSON bodies only)."""
    storage = Storage(home)
    events: list[dict[str, Any]] = []
    for stored in storage.list_files("raw", ".jsonl.gz"):
        for line in gzip.decompress(storage.read_bytes(stored.path)).splitlines():
            events += json.loads(json.loads(line)["data"])
    return events

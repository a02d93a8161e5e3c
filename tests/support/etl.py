"""ETL jobs for tests: a fixed process time and project, so their output can be compared byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clickstream.etl.batch import DEFAULT_CHUNK_EVENTS
from clickstream.etl.process import EtlJob
from clickstream.etl.settings import TransformSettings


def make_job(app_ids: tuple[str, ...] = ("shop", "uba-app"), **settings: Any) -> EtlJob:
    """An ETL job for tests: fixed process time, given apps, other transform settings as keywords."""
    plugins = tuple(settings.pop("plugins", ()))
    chunk_events = settings.pop("chunk_events", DEFAULT_CHUNK_EVENTS)
    settings.setdefault("project_id", "test_project_id_01")
    settings.setdefault("process_time", datetime(2024, 1, 1, tzinfo=UTC))
    return EtlJob(TransformSettings(app_ids=frozenset(app_ids), **settings), plugins, chunk_events)

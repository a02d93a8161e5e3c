"""The Studio's database: its URL, an engine per URL, and the tables' shared metadata."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from clickstream.config import Config

metadata_obj = sa.MetaData()
_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


def database_url(config: Config) -> str:
    """``studio.database_url``, else SQLite in ``<home>/studio/studio.db``."""
    return config.studio.database_url or f"sqlite:///{config.home / 'studio' / 'studio.db'}"


def as_utc(moment: datetime) -> datetime:
    """SQLite hands datetimes back naive; every moment the state tables hold was written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL, None for another database."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    # WAL lets collectors read while the Studio writes; the busy timeout waits out a writer's short lock.
    cursor = connection.cursor()
    cursor.execute("pragma journal_mode=wal")
    cursor.execute("pragma busy_timeout=5000")
    cursor.close()


def open_engine(url: str) -> sa.Engine:
    """One engine per URL in this process, its tables created on first use."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            file = sqlite_file(url)
            if file is not None:
                file.parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, future=True, pool_pre_ping=True)
            if file is not None:
                sa.event.listen(engine, "connect", _sqlite_pragmas)
            metadata_obj.create_all(engine)
            _engines[url] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (a forked worker must not share its parent's)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()

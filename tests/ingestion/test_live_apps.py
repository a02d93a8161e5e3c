"""The collector's app list is live: apps and origins from the Studio's database, the config when it is unreadable."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from clickstream.config import AppConfig, Config
from clickstream.state import AppStore, database_url, open_engine
from tests.support.collector import exchange, live_collector
from tests.support.config import make_config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path / "home", apps=[{"id": "shop"}], ingestion={"apps_refresh_seconds": 0.5})


def create(config: Config, app_id: str, origins: list[str]) -> None:
    store = AppStore(open_engine(database_url(config)), config.project_id)
    store.create(AppConfig(id=app_id), app_id, "", origins, "test")


def wait_for(check: Callable[[], bool], seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the collector did not take the change"
        time.sleep(0.05)


def test_an_app_created_while_running_is_accepted_with_its_origin(config: Config) -> None:
    with live_collector(config) as live:
        assert exchange(live, "POST", "/collect?appId=blog", b"[]").status == 403
        create(config, "blog", ["https://blog.example.com"])
        wait_for(lambda: exchange(live, "POST", "/collect?appId=blog", b"[]").status == 200)
        reply = exchange(live, "OPTIONS", "/collect?appId=blog", headers={"Origin": "https://blog.example.com"})
        assert reply.status == 204 and reply.getheader("access-control-allow-origin") == "https://blog.example.com"


def test_a_deleted_app_is_refused(config: Config) -> None:
    store = AppStore(open_engine(database_url(config)), config.project_id)
    store.seed(config.apps)
    with live_collector(config) as live:
        assert exchange(live, "POST", "/collect?appId=shop", b"[]").status == 200
        store.delete("shop", "test")
        wait_for(lambda: exchange(live, "POST", "/collect?appId=shop", b"[]").status == 403)


def test_an_unreadable_database_keeps_the_config_apps_and_is_logged(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    database = config.home / "studio" / "studio.db"
    database.parent.mkdir(parents=True)
    database.write_bytes(b"not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="clickstream.ingestion"), live_collector(config) as live:
        assert exchange(live, "POST", "/collect?appId=shop", b"[]").status == 200
    assert any("cannot read the live app list" in record.getMessage() for record in caplog.records)

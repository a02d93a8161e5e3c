"""The live app list: clickstream.yml merged with the Studio's database, by the rules of clickstream/state/apps.py."""

from __future__ import annotations

from pathlib import Path

from clickstream.config import AppConfig
from clickstream.pipeline.cycle import run_cycle
from clickstream.pipeline.observer import CycleObserver
from clickstream.state import AppStore, database_url, live_apps, open_engine
from tests.support.config import make_config


def test_without_a_database_the_apps_are_the_configs_and_none_is_created(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", apps=[{"id": "shop", "timezone": "Asia/Tokyo"}])
    live = live_apps(config)
    assert [(app.app_id, app.timezone) for app in live.active] == [("shop", "Asia/Tokyo")]
    assert not (config.home / "studio").exists()


def test_a_seeded_app_never_changed_through_the_api_follows_the_config(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", apps=[{"id": "shop", "timezone": "Asia/Tokyo"}])
    AppStore(open_engine(database_url(config)), config.project_id).seed(config.apps)
    edited = make_config(tmp_path / "home", apps=[{"id": "shop", "timezone": "Europe/Paris"}])
    assert live_apps(edited).find("shop").timezone == "Europe/Paris"  # type: ignore[union-attr]


def test_an_app_added_to_the_config_after_seeding_is_live(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", apps=[{"id": "shop"}])
    AppStore(open_engine(database_url(config)), config.project_id).seed(config.apps)
    grown = make_config(tmp_path / "home", apps=[{"id": "shop"}, {"id": "blog"}])
    assert live_apps(grown).ids == {"shop", "blog"}


def test_apps_of_another_project_are_not_listed(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", apps=[{"id": "shop"}])
    AppStore(open_engine(database_url(config)), "other_project").create(AppConfig(id="blog"), "", "", [], "test")
    assert live_apps(config).ids == {"shop"}


def test_a_cycle_with_an_unreadable_database_runs_with_the_configs_apps_and_says_so(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home", apps=[{"id": "shop"}])
    database = config.home / "studio" / "studio.db"
    database.parent.mkdir(parents=True)
    database.write_bytes(b"not a database" * 100)

    class Told(CycleObserver):
        def __init__(self) -> None:
            self.said: list[str] = []

        def apps_not_read(self, message: str) -> None:
            self.said.append(message)

    observer = Told()
    report = run_cycle(config, observer=observer)
    assert [run.name for run in report.stages][:2] == ["etl", "load"]
    assert observer.said and "database" in observer.said[0].lower()

"""The live app list: clickstream.yml merged with the Studio's database, by the rules of clickstream/state/apps.py."""

from __future__ import annotations

from pathlib import Path

from clickstream.config import AppConfig
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

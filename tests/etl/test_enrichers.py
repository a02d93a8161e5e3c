"""The enrichers etl.enrichment puts in the plugin chain, and the rule tables shipped in the package."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from etl.enrich.traffic_rules import TrafficSourceRuleError
from etl.plugins import load_plugins
from etl.process import EtlJob
from tests.conftest import REPO, make_config


def chain(tmp_path: Path, **enrichment: object) -> list[str]:
    config = make_config(tmp_path, etl={"enrichment": enrichment})
    return [plugin.name for plugin in load_plugins(EtlJob.from_config(config).plugins)]


def test_defaults_put_every_enricher_first_in_the_chain(tmp_path: Path) -> None:
    assert chain(tmp_path) == ["user_agent", "geo_ip", "traffic_source"]


def test_disabled_enrichers_are_not_built(tmp_path: Path) -> None:
    assert chain(tmp_path, user_agent=False, geo=False, traffic_source=False) == []


def test_configured_plugins_follow_the_enrichers(tmp_path: Path) -> None:
    config = make_config(
        tmp_path, etl={"plugins": [{"name": "internal_traffic", "options": {"networks": ["10.0.0.0/8"]}}]}
    )
    names = [plugin.name for plugin in load_plugins(EtlJob.from_config(config).plugins)]
    assert names == ["user_agent", "geo_ip", "traffic_source", "internal_traffic"]


def test_a_broken_per_app_rule_file_stops_the_build(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    (rules / "shop").mkdir(parents=True)
    (rules / "shop" / "traffic_source_channel_rule_v1.json").write_text('[{"id": "r1", "channel": "X"}]')
    with pytest.raises(TrafficSourceRuleError, match=r"shop/traffic_source_channel_rule_v1.json: channel rule r1"):
        chain(tmp_path, user_agent=False, geo=False, traffic_source_rules_dir=str(rules))


@pytest.mark.slow
def test_the_wheel_ships_the_rule_tables_with_their_licence(tmp_path: Path) -> None:
    # Build from a copy so the test leaves no build/ or egg-info behind in the work tree.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for package in ("clickstream", "ingestion", "etl", "loader", "quicksight"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "traffic_source_category_rule_v0.json",
        "traffic_source_channel_rule_v0.json",
        "LICENSE",
        "NOTICE.txt",
    ):
        assert f"etl/enrich/rules/{name}" in names

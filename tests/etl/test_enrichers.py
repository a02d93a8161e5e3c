"""Building a worker's enrichers from etl.enrichment, and the rule tables shipped in the package."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from clickstream.config import EnrichmentConfig
from etl.enrich.enrichers import Enrichers
from etl.enrich.traffic_rules import TrafficSourceRuleError
from tests.conftest import REPO


def test_defaults_build_every_enricher() -> None:
    enrichers = Enrichers.from_config(EnrichmentConfig())
    assert enrichers.user_agent is not None and enrichers.geo is not None and enrichers.traffic_source is not None
    assert not enrichers.flag_bots
    assert enrichers.protect_ip("70.123.241.83") == "70.123.241.83"


def test_disabled_enrichers_are_not_built() -> None:
    enrichers = Enrichers.from_config(EnrichmentConfig(user_agent=False, geo=False, traffic_source=False))
    assert (enrichers.user_agent, enrichers.geo, enrichers.traffic_source) == (None, None, None)


def test_privacy_and_bot_settings_are_carried(tmp_path: Path) -> None:
    config = EnrichmentConfig(geo=False, ip_privacy="hash", ip_hash_salt="pepper", bots="flag")
    enrichers = Enrichers.from_config(config)
    assert enrichers.flag_bots
    hashed = enrichers.protect_ip("70.123.241.83")
    assert hashed is not None and hashed != "70.123.241.83" and len(hashed) == 32


def test_a_broken_per_app_rule_file_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "traffic_source_channel_rule_v1.json").write_text('[{"id": "r1", "channel": "X"}]')
    config = EnrichmentConfig(user_agent=False, geo=False, traffic_source_rules_dir=tmp_path)
    with pytest.raises(TrafficSourceRuleError, match=r"shop/traffic_source_channel_rule_v1.json: channel rule r1"):
        Enrichers.from_config(config, app_ids=["shop"])


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

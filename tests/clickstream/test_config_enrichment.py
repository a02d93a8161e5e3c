"""The etl.enrichment section: defaults, relative paths, and errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from clickstream.config import load_config
from clickstream.errors import ConfigError


def write(folder: Path, text: str) -> Path:
    path = folder / "clickstream.yml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text), environ={})
    return error.value.message


def test_every_enrichment_is_on_by_default_and_bots_are_rejected(tmp_path: Path) -> None:
    enrichment = load_config(environ={}, cwd=tmp_path).etl.enrichment
    assert (enrichment.user_agent, enrichment.geo, enrichment.traffic_source) == (True, True, True)
    assert (enrichment.geo_database, enrichment.traffic_source_rules_dir) == (None, None)
    assert (enrichment.ip_privacy, enrichment.bots) == ("none", "reject")


def test_database_and_rules_paths_resolve_against_the_config_file(tmp_path: Path) -> None:
    text = "etl:\n  enrichment:\n    geo_database: geo/City.mmdb\n    traffic_source_rules_dir: rules\n"
    enrichment = load_config(write(tmp_path, text), environ={}).etl.enrichment
    assert enrichment.geo_database == tmp_path / "geo" / "City.mmdb"
    assert enrichment.traffic_source_rules_dir == tmp_path / "rules"


def test_hashing_without_a_salt_is_refused_with_the_fix(tmp_path: Path) -> None:
    message = error_of(tmp_path, "etl:\n  enrichment:\n    ip_privacy: hash\n")
    assert "etl.enrichment" in message and "ip_hash_salt" in message


def test_an_unknown_privacy_mode_names_the_allowed_ones(tmp_path: Path) -> None:
    message = error_of(tmp_path, "etl:\n  enrichment:\n    ip_privacy: mask\n")
    assert "etl.enrichment.ip_privacy" in message and "'truncate'" in message


def test_an_unknown_bot_policy_names_the_allowed_ones(tmp_path: Path) -> None:
    message = error_of(tmp_path, "etl:\n  enrichment:\n    bots: drop\n")
    assert "etl.enrichment.bots" in message and "'flag'" in message


def test_a_misspelt_enrichment_key_lists_the_real_ones(tmp_path: Path) -> None:
    message = error_of(tmp_path, "etl:\n  enrichment:\n    geoip: false\n")
    assert "etl.enrichment.geoip: unknown key" in message and "geo_database" in message

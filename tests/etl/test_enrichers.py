"""The enrichers etl.enrichment puts in the plugin chain, and the rule tables shipped in the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from clickstream.etl.enrich.traffic_rules import TrafficSourceRuleError
from clickstream.etl.plugins import load_plugins
from clickstream.etl.process import EtlJob
from tests.support.config import make_config


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

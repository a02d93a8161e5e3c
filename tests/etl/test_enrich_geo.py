"""Geo-IP enrichment with the bundled GeoLite2-City (2018-07-03) against the original's expected row."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clickstream.errors import ConfigError
from clickstream.etl.enrich.geo import UNKNOWN, GeoResolver, packaged_database
from tests.support.data import seed_file


@pytest.fixture(scope="module")
def geo() -> GeoResolver:
    return GeoResolver()


def expected(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(seed_file(f"expected/{name}").read_text())
    return document


def test_city_continent_and_country_match_the_original(geo: GeoResolver) -> None:
    want = expected("test_enrich_ip_v2.json")
    info = geo.lookup(want["ip"])
    assert info.city == want["geo_city"] == "Schertz"
    assert info.continent == want["geo_continent"] == "North America"
    assert info.country == want["geo_country"] == "United States"
    assert info.sub_continent is None and want["geo_sub_continent"] is None  # GeoLite2 has no sub-continent


def test_region_is_the_iso_subdivision_code(geo: GeoResolver) -> None:
    want = expected("test_enrich_ip_v2.json")
    # The original's lookup left region null; the "US-TX" in its expected row came from its input row
    # (a GTM hit). We fill region from the database in that same ISO 3166-2 form.
    assert geo.lookup(want["ip"]).region == want["geo_region"] == "US-TX"


def test_metro_is_the_us_dma_code(geo: GeoResolver) -> None:
    want = expected("test_enrich_ip_v2.json")
    # Differs on purpose: the original always left geo_metro null; GeoLite2 has the DMA code (641 = San Antonio).
    assert want["geo_metro"] is None
    assert geo.lookup(want["ip"]).metro == "641"


def test_the_collector_address_of_the_transform_fixture_resolves(geo: GeoResolver) -> None:
    want = expected("transform_v3_traffic_source_event.json")
    # That expected row has null geo_* only because the original's IP enricher did not run in that test.
    info = geo.lookup(want["ip"])
    assert (info.continent, info.country, info.region) == ("North America", "United States", "US-CT")


def test_the_first_address_of_a_forwarded_list_is_used(geo: GeoResolver) -> None:
    assert geo.lookup("70.123.241.83, 10.0.0.1").city == "Schertz"


def test_ipv6_addresses_resolve(geo: GeoResolver) -> None:
    assert geo.lookup("2001:4860:4860::8888").country == "United States"


@pytest.mark.parametrize(
    "ip", [None, "", "10.1.2.3", "192.168.0.1", "127.0.0.1", "::1", "not-an-ip", "999.1.1.1", " , "]
)
def test_private_missing_and_malformed_addresses_resolve_to_nothing(geo: GeoResolver, ip: str | None) -> None:
    assert geo.lookup(ip) == UNKNOWN


def test_the_bundled_database_is_the_documented_snapshot(geo: GeoResolver) -> None:
    assert geo.path == packaged_database()
    assert geo.database_type == "GeoLite2-City"
    assert geo.build_date == date(2018, 7, 3)  # docs/etl.md states this date; update both together


def test_a_configured_database_file_is_used_instead(tmp_path: Path) -> None:
    current = tmp_path / "GeoLite2-City.mmdb"
    current.symlink_to(packaged_database())
    resolver = GeoResolver(current)
    assert resolver.path == current
    assert resolver.lookup("70.123.241.83").city == "Schertz"


def test_a_missing_database_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        GeoResolver(tmp_path / "nowhere.mmdb")


def test_a_file_that_is_not_an_mmdb_is_a_config_error(tmp_path: Path) -> None:
    bogus = tmp_path / "GeoLite2-City.tar.gz"
    bogus.write_bytes(b"\x1f\x8b not a database")
    with pytest.raises(ConfigError, match="not a MaxMind DB file"):
        GeoResolver(bogus)


def test_repeated_addresses_are_served_from_the_cache(geo: GeoResolver) -> None:
    first = geo.lookup("70.123.241.83")
    assert geo.lookup("70.123.241.83") is first

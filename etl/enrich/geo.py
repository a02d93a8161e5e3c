"""Geo-IP enrichment from a MaxMind-format (``.mmdb``) city database.

The original looked the first address of the collector's ``ip`` up in GeoLite2-City and kept the
English names of continent, country and city. We do the same with the ``maxminddb`` C extension and
also fill ``region`` (ISO 3166-2, e.g. ``US-TX``) and ``metro`` (the US DMA code) when the database
has them. By default the database is the GeoLite2-City snapshot shipped in the ``maxminddb-geolite2``
package (2018-07-03, CC BY-SA 4.0; see docs/etl.md), so nothing is downloaded; production points the
``etl.enrichment.geo_database`` setting at a current GeoLite2-City file.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import maxminddb

from clickstream.errors import ConfigError

DEFAULT_CACHE_SIZE = 100_000
_PACKAGED_MODULE = "_maxminddb_geolite2"  # the data module of the maxminddb-geolite2 distribution
_PACKAGED_FILE = "GeoLite2-City.mmdb"


class GeoInfo(NamedTuple):
    """The ``geo_*`` columns an address resolves to (all None when unknown)."""

    continent: str | None = None
    sub_continent: str | None = None  # GeoLite2 has no sub-continent; kept for the column (null, as in the original)
    country: str | None = None
    region: str | None = None
    metro: str | None = None
    city: str | None = None


UNKNOWN = GeoInfo()


def packaged_database() -> Path:
    """The GeoLite2-City file installed with ``maxminddb-geolite2``, found without importing its module."""
    spec = importlib.util.find_spec(_PACKAGED_MODULE)
    if spec is None or spec.origin is None:
        raise ConfigError(
            "no geo database: the maxminddb-geolite2 package is not installed",
            hint="pip install maxminddb-geolite2, or set etl.enrichment.geo_database to a GeoLite2-City file",
        )
    return Path(spec.origin).parent / _PACKAGED_FILE


def _english(record: Any, key: str) -> str | None:
    part = record.get(key)
    if not isinstance(part, dict):
        return None
    names = part.get("names")
    name = names.get("en") if isinstance(names, dict) else None
    return name if isinstance(name, str) else None


def _region(record: dict[str, Any]) -> str | None:
    subdivisions = record.get("subdivisions")
    country = record.get("country")
    if not subdivisions or not isinstance(country, dict):
        return None
    country_code = country.get("iso_code")
    subdivision_code = subdivisions[0].get("iso_code") if isinstance(subdivisions[0], dict) else None
    if not country_code or not subdivision_code:
        return None
    return f"{country_code}-{subdivision_code}"


def _metro(record: dict[str, Any]) -> str | None:
    location = record.get("location")
    code = location.get("metro_code") if isinstance(location, dict) else None
    return str(code) if code is not None else None


class GeoResolver:
    """Looks addresses up in one ``.mmdb`` file, with a bounded LRU cache keyed on the raw ``ip`` text.

    ``ip`` may be a comma-separated list (as in ``X-Forwarded-For``); the first entry is used, as the
    original did. Private, reserved, unknown and malformed addresses resolve to all-None fields.
    """

    def __init__(self, database: Path | None = None, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.path = database or packaged_database()
        if not self.path.is_file():
            raise ConfigError(
                f"geo database {self.path} does not exist",
                hint="set etl.enrichment.geo_database to a GeoLite2-City .mmdb file, or unset it for the bundled one",
            )
        try:
            self._reader = maxminddb.open_database(str(self.path), maxminddb.MODE_MMAP_EXT)
        except (maxminddb.InvalidDatabaseError, ValueError, OSError) as exc:
            raise ConfigError(
                f"geo database {self.path} is not a MaxMind DB file: {exc}",
                hint="point etl.enrichment.geo_database at a GeoLite2-City .mmdb file (not the .tar.gz)",
            ) from None
        metadata = self._reader.metadata()
        self.database_type: str = metadata.database_type
        self.build_date = datetime.fromtimestamp(metadata.build_epoch, UTC).date()
        self._cached = lru_cache(maxsize=cache_size)(self._lookup_uncached)

    def lookup(self, ip: str | None) -> GeoInfo:
        """The geo fields for one address (or address list); never raises on bad input."""
        if not ip:
            return UNKNOWN
        return self._cached(ip)

    def cache_info(self) -> str:
        return str(self._cached.cache_info())

    def close(self) -> None:
        self._reader.close()

    def _lookup_uncached(self, ip: str) -> GeoInfo:
        first = ip.split(",", 1)[0].strip()
        try:
            record = self._reader.get(first)
        except ValueError:  # not an IP address at all
            return UNKNOWN
        if not isinstance(record, dict):
            return UNKNOWN
        return GeoInfo(
            continent=_english(record, "continent"),
            country=_english(record, "country"),
            region=_region(record),
            metro=_metro(record),
            city=_english(record, "city"),
        )

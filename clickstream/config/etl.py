"""The batch transform (`etl`): workers, event rules, plugins and the built-in enrichers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from clickstream.config._base import _Section


class EtlPluginConfig(_Section):
    """One plugin of the ETL chain, by its entry-point name in ``clickstream.etl_plugins``."""

    name: str = Field(min_length=1, description="Entry-point name, e.g. internal_traffic.")
    options: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments of the plugin's factory.")


class EnrichmentConfig(_Section):
    """Per-event enrichment in the ETL (`etl.enrichment`): user agent, geo IP, traffic source, IP privacy."""

    user_agent: bool = Field(True, description="Parse the User-Agent into device_ua_* columns.")
    geo: bool = Field(True, description="Look the client IP up into geo_* columns.")
    geo_database: Path | None = Field(
        None, description="GeoLite2-City .mmdb file; default: the bundled GeoLite2-City of 2018-07-03."
    )
    traffic_source: bool = Field(True, description="Classify source, medium, category and channel group.")
    traffic_source_rules_dir: Path | None = Field(
        None, description="Folder of per-app rule overrides: <dir>/<app_id>/traffic_source_*_rule_v1.json."
    )
    ip_privacy: Literal["none", "truncate", "hash"] = Field(
        "none", description="Protect the client IP before it is written: truncate to /24 (/48) or salted hash."
    )
    ip_hash_salt: str | None = Field(
        None, description="Secret salt for ip_privacy: hash; keep it secret and stable (a new salt, new hashes)."
    )
    bots: Literal["reject", "flag"] = Field("reject", description="Bot user agents: rejected (reason bot) or kept.")

    @model_validator(mode="after")
    def _salt_for_hashing(self) -> EnrichmentConfig:
        if self.ip_privacy == "hash" and not self.ip_hash_salt:
            raise ValueError("ip_privacy 'hash' needs ip_hash_salt, a secret string; or use ip_privacy: truncate")
        return self


class EtlConfig(_Section):
    """The batch transform (`clickstream etl`)."""

    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, le=64, description="Processes working on raw files."
    )
    time_shift: bool = Field(
        False, description="Correct device clocks: shift event times by ingest minus upload time when over 10 min."
    )
    freshness_hours: float | None = Field(
        72.0, gt=0, description="Reject events older than this when they arrived (stale_event); null: keep all."
    )
    truncate_strings: bool = Field(
        True, description="Cut strings to the column sizes of the Redshift schema (255, 2048 or 65535 bytes)."
    )
    chunk_events: int = Field(20_000, ge=100, le=1_000_000, description="Events per Arrow chunk: bounds memory.")
    job_id: str = Field("local", min_length=1, description="process_job_id written into process_info.")
    plugins: list[EtlPluginConfig] = Field(
        default_factory=list, description="Extra plugins run after the built-in enrichers, in this order."
    )
    enrichment: EnrichmentConfig = Field(default_factory=EnrichmentConfig, description="The built-in enrichers.")

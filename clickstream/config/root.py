"""The root model: the whole of ``clickstream.yml`` and the rules that span its sections."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from clickstream.config._base import _ID_PATTERN, _Section, _slashed
from clickstream.config.apps import AppConfig
from clickstream.config.dashboards import DashboardsConfig
from clickstream.config.dbt import DbtConfig
from clickstream.config.etl import EtlConfig
from clickstream.config.infra import InfraConfig
from clickstream.config.ingestion import IngestionConfig
from clickstream.config.studio import StudioConfig
from clickstream.config.warehouse import WarehouseConfig


class Config(_Section):
    """The whole of ``clickstream.yml``."""

    home: Path = Field(
        Path(".clickstream"),
        description="Local folder of the write-ahead log, the DuckDB warehouse, dbt's files, locks and the "
        "Studio's snapshot; also of raw/, processed/ and rejected/ unless data_root is set.",
    )
    data_root: str | None = Field(
        None,
        description="Where raw/, processed/ and rejected/ live: a folder or s3://bucket/prefix; default: home.",
    )
    project_id: str = Field(
        "clickstream_demo", pattern=_ID_PATTERN, description="The project_id column, and the metadata scan's ids."
    )
    apps: list[AppConfig] = Field(
        default_factory=lambda: [AppConfig(id="shop", timezone="UTC")],
        min_length=1,
        description="Apps allowed to send events; requests for any other app id get 403.",
    )
    ingestion: IngestionConfig = Field(default_factory=IngestionConfig, description="The collector.")
    etl: EtlConfig = Field(default_factory=EtlConfig, description="The batch transform.")
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    dbt: DbtConfig = Field(default_factory=DbtConfig)
    infra: InfraConfig = Field(default_factory=InfraConfig, description="The AWS deployment.")
    dashboards: DashboardsConfig = Field(default_factory=DashboardsConfig, description="The preset dashboards.")
    studio: StudioConfig = Field(default_factory=StudioConfig, description="Analytics Studio.")

    @model_validator(mode="before")
    @classmethod
    def _dbt_target_follows_warehouse(cls, data: Any) -> Any:
        """``dbt.target`` is ``warehouse.type``: dbt models the tables the loader filled, so unset it follows
        the warehouse and a different value is refused (it would model another engine than the one loaded)."""
        if not isinstance(data, dict):
            return data
        warehouse, dbt = data.get("warehouse"), data.get("dbt")
        engine = _section_value(warehouse, "type") or "duckdb"
        target = _section_value(dbt, "target")
        if target is not None and target != engine:
            raise ValueError(
                f"dbt.target ({target}) disagrees with warehouse.type ({engine}); they are one setting: "
                f"remove dbt.target (it follows warehouse.type), or set warehouse.type: {target} to load there too"
            )
        if target is None and isinstance(engine, str):
            if isinstance(dbt, DbtConfig):
                dbt = dbt.model_copy(update={"target": engine})
            elif isinstance(dbt, dict):
                dbt = {**dbt, "target": engine}
            elif dbt is None:
                dbt = {"target": engine}
            data = {**data, "dbt": dbt}
        return data

    @model_validator(mode="after")
    def _unique_app_ids(self) -> Config:
        ids = [app.id for app in self.apps]
        duplicates = sorted({app_id for app_id in ids if ids.count(app_id) > 1})
        if duplicates:
            raise ValueError(f"apps: app id listed twice: {', '.join(duplicates)}")
        return self

    @model_validator(mode="after")
    def _ingestion_names_known_apps(self) -> Config:
        known = set(self.app_ids)
        named = {f"ingestion.auth.api_keys.{app_id}" for app_id in self.ingestion.auth.api_keys if app_id not in known}
        if self.ingestion.rate_limit is not None:
            named |= {f"ingestion.rate_limit.per_app.{a}" for a in self.ingestion.rate_limit.per_app if a not in known}
        if named:
            raise ValueError(f"{', '.join(sorted(named))}: not an app id listed under apps")
        return self

    @field_validator("home", mode="before")
    @classmethod
    def _home_is_local(cls, value: object) -> object:
        if isinstance(value, str) and "://" in value:
            raise ValueError(
                f"{value!r} is not a local folder; home holds the write-ahead log, the DuckDB warehouse and "
                "dbt's files. Keep home local and put the data on S3 with data_root: s3://bucket/prefix"
            )
        return value

    @model_validator(mode="after")
    def _aws_warehouses_read_from_s3(self) -> Config:
        if self.warehouse.type != "duckdb" and not self.storage_root.startswith("s3://"):
            raise ValueError(
                f"data_root: warehouse.type {self.warehouse.type} loads processed files from S3; "
                "set data_root: s3://bucket/prefix (where the ETL writes processed/)"
            )
        athena = self.warehouse.athena
        if athena is not None and athena.data_root and _slashed(athena.data_root) != _slashed(self.storage_uri):
            raise ValueError(
                f"warehouse.athena.data_root ({athena.data_root}) differs from data_root ({self.storage_uri}); "
                "the Glue tables must point where the ETL writes: remove warehouse.athena.data_root"
            )
        return self

    @property
    def storage_root(self) -> str:
        """The root of raw/, processed/ and rejected/: ``data_root``, else the local ``home`` folder."""
        return self.data_root or str(self.home)

    @property
    def storage_uri(self) -> str:
        """The storage root as AWS services name it: without the query options pyarrow reads from an S3 URI."""
        return self.storage_root.split("?", 1)[0]

    @property
    def dbt_target(self) -> Literal["duckdb", "redshift", "athena"]:
        """The dbt profile output: ``dbt.target``, which validation sets to ``warehouse.type`` when unset."""
        return self.dbt.target or self.warehouse.type

    @property
    def app_ids(self) -> list[str]:
        return [app.id for app in self.apps]

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse.path or self.home / "warehouse.duckdb"

    def with_home(self, home: Path) -> Config:
        """A copy of this config whose storage root is ``home`` (used by the demo's fresh folder)."""
        return self.model_copy(update={"home": home.resolve()})


def _section_value(section: object, key: str) -> Any:
    """``key`` of a config section given as a mapping (from YAML) or as an already built model."""
    if isinstance(section, Mapping):
        return section.get(key)
    return getattr(section, key, None)

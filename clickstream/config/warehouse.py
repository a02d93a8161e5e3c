"""Where processed tables are loaded (`warehouse`), with the Redshift and Athena engine sections."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from clickstream.config._base import (
    _ID_PATTERN,
    _S3_PREFIX_PATTERN,
    _SECRET_ARN_PATTERN,
    EndpointUrl,
    _Section,
    _slashed,
)

_IAM_ROLE_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"


class _AwsEngineConfig(_Section):
    """Client settings shared by the AWS warehouses."""

    region: str | None = Field(None, description="AWS region; default: the AWS SDK's own lookup.")
    endpoint_url: EndpointUrl = Field(None, description="AWS-compatible endpoint for every client (tests, proxies).")


class RedshiftConfig(_AwsEngineConfig):
    """``warehouse.type: redshift``: COPY through the Redshift Data API, one transaction per batch."""

    cluster_identifier: str | None = Field(
        None, description="Provisioned cluster id; set exactly one of it and workgroup_name."
    )
    workgroup_name: str | None = Field(None, description="Redshift Serverless workgroup (or set cluster_identifier).")
    database: str = Field("dev", pattern=_ID_PATTERN, description="Database the schema lives in.")
    db_user: str | None = Field(None, description="Database user (temporary credentials; provisioned only).")
    secret_arn: str | None = Field(
        None,
        pattern=_SECRET_ARN_PATTERN,
        description="Secrets Manager secret to log in (provisioned: this or db_user; serverless: this or neither).",
    )
    iam_role_arn: str = Field(pattern=_IAM_ROLE_PATTERN, description="Role Redshift assumes to read S3 in COPY.")
    manifest_prefix: str = Field(
        pattern=_S3_PREFIX_PATTERN, description="s3://bucket/prefix/ where COPY manifests and ledger files go."
    )
    poll_interval_seconds: float = Field(0.5, gt=0, description="First wait between statement status checks.")
    poll_max_interval_seconds: float = Field(10.0, gt=0, description="Longest wait between checks (backoff cap).")
    statement_timeout_seconds: float = Field(
        3600.0, gt=0, description="A statement still running after this is cancelled and the load fails."
    )

    @field_validator("manifest_prefix")
    @classmethod
    def _slash(cls, value: str) -> str:
        return _slashed(value)

    @model_validator(mode="after")
    def _one_target_and_login(self) -> RedshiftConfig:
        if (self.cluster_identifier is None) == (self.workgroup_name is None):
            raise ValueError(
                "set exactly one of cluster_identifier (provisioned) or workgroup_name (serverless), "
                "e.g. {cluster_identifier: my-cluster, db_user: loader}"
            )
        if self.db_user is not None and self.secret_arn is not None:
            raise ValueError("set db_user or secret_arn, not both")
        if self.workgroup_name is not None and self.db_user is not None:
            raise ValueError("db_user works with cluster_identifier only; for a workgroup use secret_arn or neither")
        if self.cluster_identifier is not None and self.db_user is None and self.secret_arn is None:
            raise ValueError("a provisioned cluster needs db_user or secret_arn to log in")
        return self


class AthenaConfig(_AwsEngineConfig):
    """``warehouse.type: athena``: Glue tables over the processed Parquet, partitions registered per load."""

    database: str = Field("clickstream", pattern=r"^[a-z0-9_]{1,255}$", description="Glue database of the tables.")
    data_root: str | None = Field(
        None,
        pattern=_S3_PREFIX_PATTERN,
        description="s3://bucket/prefix holding processed/ and rejected/; default, and the only value allowed: the "
        "top-level data_root.",
    )
    ledger_location: str | None = Field(
        None,
        pattern=_S3_PREFIX_PATTERN,
        description="s3:// prefix of the ledger, run history and load lock; default <data_root>/_warehouse/.",
    )
    lock_lease_seconds: float = Field(
        120.0, ge=5, description="A load lock not renewed for this long is taken to be a dead holder's and taken over."
    )

    @property
    def ledger_root(self) -> str:
        """Where the ledger, the run history and the lock live, with a trailing '/'."""
        if self.ledger_location:
            return _slashed(self.ledger_location)
        if self.data_root is None:
            raise ValueError(
                "warehouse.athena.data_root is unset: open the warehouse through clickstream.loader.factory"
            )
        return _slashed(self.data_root) + "_warehouse/"


_WAREHOUSE_EXAMPLES = {
    "redshift": (
        "warehouse.redshift: {cluster_identifier: my-cluster, db_user: loader, "
        "iam_role_arn: 'arn:aws:iam::123456789012:role/copy', manifest_prefix: 's3://my-bucket/manifests/'}"
    ),
    "athena": "warehouse.athena: {database: clickstream}",
}


class WarehouseConfig(_Section):
    """Where processed tables are loaded (`clickstream load`) and modelled (`clickstream model`). Redshift and
    Athena load from S3: set the top-level data_root to an s3:// location with them."""

    type: Literal["duckdb", "redshift", "athena"] = Field(
        "duckdb",
        description="Where `clickstream load` puts the processed tables: duckdb (a local file), redshift or athena, "
        "each with its section below; dbt models the same engine.",
    )
    path: Path | None = Field(None, description="DuckDB file; default <home>/warehouse.duckdb")
    schema_name: str = Field(
        "ods",
        alias="schema",
        pattern=_ID_PATTERN,
        description="Schema of the loaded tables and their ledger (DuckDB, Redshift); Athena uses "
        "warehouse.athena.database.",
    )
    files_per_transaction: int = Field(
        500, ge=1, le=100_000, description="Processed files loaded (with their ledger entries) per transaction."
    )
    lock_timeout_seconds: float = Field(
        600, ge=0, description="How long a load waits for another load to finish before giving up (0: not at all)."
    )

    redshift: RedshiftConfig | None = Field(None, description="Required with type: redshift.")
    athena: AthenaConfig | None = Field(None, description="Required with type: athena.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _engine_section_present(self) -> WarehouseConfig:
        if self.type != "duckdb" and getattr(self, self.type) is None:
            raise ValueError(
                f"warehouse.{self.type} is required when warehouse.type is {self.type!r}; "
                f"add it, e.g. {_WAREHOUSE_EXAMPLES[self.type]}"
            )
        return self

"""Analytics Studio (`studio`): serving, sign-in, roles and querying a remote warehouse."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from clickstream.config._base import _ID_PATTERN, _S3_PREFIX_PATTERN, _Section
from clickstream.config.oidc import OidcConfig

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class StudioRolesConfig(_Section):
    """How token groups become Studio roles (the original's role mapping; comma lists allowed per role)."""

    claim: str = Field(
        "cognito:groups",
        min_length=1,
        description="Token claim holding the user's groups; dots walk into nested claims.",
    )
    admin: list[str] = Field(default_factory=lambda: ["ClickstreamAdmin"], description="Groups that are Admin.")
    operator: list[str] = Field(default_factory=lambda: ["ClickstreamOperator"], description="Groups: Operator.")
    analyst: list[str] = Field(default_factory=lambda: ["ClickstreamAnalyst"], description="Groups: Analyst.")
    analyst_reader: list[str] = Field(
        default_factory=lambda: ["ClickstreamAnalystReader"], description="Groups that are AnalystReader."
    )


class StudioWarehouseConfig(_Section):
    """How the Studio queries a Redshift or Athena warehouse (``warehouse.type`` redshift or athena).

    With those warehouses there is no serving snapshot: each analysis runs in the warehouse, on the dbt
    models (``fct_events``, ``dim_users``, ``meta_*``) in ``schema``.
    """

    schema_name: str = Field(
        "analytics",
        alias="schema",
        pattern=_ID_PATTERN,
        description="Schema (Redshift) or Glue database (Athena) of the dbt models; dbt's target schema.",
    )
    redshift_login: Literal["warehouse", "iam"] = Field(
        "warehouse",
        description="warehouse: the loader's login (warehouse.redshift db_user or secret_arn); iam: the Studio's "
        "own AWS identity (database user IAMR:<role> on Serverless, which needs SELECT on the schema).",
    )
    athena_workgroup: str = Field(
        "primary", pattern=r"^[a-zA-Z0-9._-]{1,128}$", description="Athena work group the queries run in."
    )
    athena_output_location: str | None = Field(
        None,
        pattern=_S3_PREFIX_PATTERN,
        description="s3:// prefix of Athena's result files; default: the work group's own result location.",
    )
    poll_interval_seconds: float = Field(0.2, gt=0, le=60, description="First wait between status checks.")
    poll_max_interval_seconds: float = Field(2.0, gt=0, le=60, description="Longest wait between checks.")
    catalog_refresh_seconds: float = Field(
        300.0, ge=0, description="The metadata catalog and the newest event are re-read from the warehouse this often."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _poll_cap(self) -> StudioWarehouseConfig:
        if self.poll_max_interval_seconds < self.poll_interval_seconds:
            raise ValueError(
                "poll_max_interval_seconds must be at least poll_interval_seconds (the first wait doubles up to it)"
            )
        return self


class StudioPipelineConfig(_Section):
    """The pipeline page (`GET /api/pipeline/<project>`): where the collector's counters are, and when to warn."""

    max_lag_seconds: float = Field(
        7200, gt=0, description="Highlight the lag (now minus the newest event in fct_events) above this."
    )
    max_reject_rate: float = Field(
        0.01, ge=0, le=1, description="Highlight the share of rejected records over the last 24 h above this."
    )
    collector_metrics_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="The collector's /metrics; default: http://<ingestion.host>:<ingestion.port>/metrics.",
    )
    stack_name: str | None = Field(
        None,
        pattern=r"^[A-Za-z][A-Za-z0-9-]{0,127}$",
        description="The AWS deployment's root stack: the page adds its stacks' status and the state machine's "
        "last runs (region: infra.region).",
    )


class StudioConfig(_Section):
    """Analytics Studio (`clickstream studio`): explorations, metadata catalog and dashboards, with roles."""

    host: str = Field("127.0.0.1", description="Address to bind; auth local allows loopback only.")
    port: int = Field(8090, ge=0, le=65535, description="Port to serve on.")
    auth: Literal["local", "oidc"] = Field(
        "local", description="local: one user (Admin) with a password, loopback only; oidc: bearer tokens and roles."
    )
    local_password: str | None = Field(
        None, min_length=8, description="Password of the local user; default: a random one printed at start."
    )
    oidc: OidcConfig | None = Field(None, description="The token issuer; required with auth oidc.")
    oidc_discovery_url: str | None = Field(
        None,
        pattern=r"^https?://",
        description="OpenID configuration; default <issuer>/.well-known/openid-configuration.",
    )
    oidc_scopes: str = Field("openid email profile", description="Scopes the page's sign-in asks the issuer for.")
    roles: StudioRolesConfig = Field(default_factory=StudioRolesConfig, description="Token groups to roles.")
    database_url: str | None = Field(
        None,
        description="Where display names and descriptions are kept: sqlite:///path or "
        "postgresql://user:password@host/db (psycopg2); default sqlite:///<home>/studio/studio.db.",
    )
    publish_snapshot: bool = Field(
        True, description="Each cycle publishes the read-only snapshot the Studio queries (DuckDB warehouse only)."
    )
    query_threads: int | None = Field(None, ge=1, le=64, description="DuckDB threads per query; default: all cores.")
    query_timeout_seconds: float | None = Field(
        60.0, gt=0, le=3600, description="An analysis query running longer is cancelled (504); null: no limit."
    )
    pipeline: StudioPipelineConfig = Field(
        default_factory=StudioPipelineConfig, description="The pipeline page's thresholds and collector."
    )
    warehouse: StudioWarehouseConfig = Field(
        default_factory=StudioWarehouseConfig, description="Querying Redshift or Athena (unused with DuckDB)."
    )
    quicksight_user_arn: str | None = Field(
        None, description="QuickSight user whose embed URLs the Studio asks for (needs quicksight.json)."
    )
    embed_session_minutes: int = Field(60, ge=15, le=600, description="Lifetime of a QuickSight embed session.")
    allowed_domains: list[str] = Field(default_factory=list, description="Domains allowed to embed QuickSight.")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="auth local: Host names answered besides loopback names and host (others get 421).",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(sqlite|postgresql)(\+[a-z0-9]+)?://", value):
            raise ValueError(
                f"{value!r} is not a database URL; use sqlite:///path/studio.db or postgresql://user@host/db"
            )
        return value

    @model_validator(mode="after")
    def _auth_settings(self) -> StudioConfig:
        if self.auth == "oidc" and self.oidc is None:
            raise ValueError("auth oidc needs an oidc section with issuer, audience and jwks_url")
        if self.auth == "local" and self.host not in _LOOPBACK:
            raise ValueError(
                f"auth local serves one user without tokens, so it binds to loopback only, not {self.host!r}; "
                "set host: 127.0.0.1, or auth: oidc to serve other machines"
            )
        return self

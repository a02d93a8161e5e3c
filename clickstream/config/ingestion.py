"""One pydantic model of ``clickstream.yml``.

The CLI loads it once and passes the object down; no stage reads files or environment variables for
configuration on its own. Every key has a default good enough for ``clickstream demo``, and every
error names the key, what was wrong and what is allowed.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clickstream.errors import ConfigError
from clickstream.payload import DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_EVENTS, PayloadLimits

CONFIG_FILE_NAME = "clickstream.yml"
CONFIG_ENV_VAR = "CLICKSTREAM_CONFIG"
_ID_PATTERN = r"^[a-zA-Z][a-zA-Z0-9_]{0,126}$"
# App ids may also hold hyphens (the original's fixtures use "uba-app"); they are never SQL identifiers.
_APP_ID_PATTERN = r"^[a-zA-Z][a-zA-Z0-9_-]{0,126}$"


def _checked_url(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not a URL; write it with its scheme, e.g. http://127.0.0.1:5000")
    return value


# An AWS-compatible endpoint (tests, proxies, other clouds): a URL with its scheme, or None for AWS itself.
EndpointUrl = Annotated[str | None, AfterValidator(_checked_url)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppConfig(_Section):
    """An application that may send events, with the timezone its reports use for dates."""

    id: str = Field(pattern=_APP_ID_PATTERN, description="App id sent by the SDK as `appId`.")
    timezone: str = Field("UTC", description="IANA timezone for the app's report dates.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as 'UTC' or 'Asia/Tokyo'") from None
        return value


class RateLimitConfig(_Section):
    """Requests per second each app may send (token bucket); over it, 429 with ``Retry-After``.

    The rate is for the whole server: each worker process enforces its share (rate / workers), since
    the kernel spreads connections evenly over the workers and sharing a counter would cost every request.
    """

    requests_per_second: float = Field(gt=0, description="Sustained rate allowed per app.")
    burst: int | None = Field(None, ge=1, description="Requests an app may send at once; default 2 s of rate.")
    per_app: dict[str, float] = Field(default_factory=dict, description="Overrides of the rate for some app ids.")

    @field_validator("per_app")
    @classmethod
    def _positive_rates(cls, value: dict[str, float]) -> dict[str, float]:
        for app_id, rate in value.items():
            if rate <= 0:
                raise ValueError(f"rate for {app_id!r} must be above 0 requests per second")
        return value


class OidcConfig(_Section):
    """Bearer tokens from an OpenID Connect issuer: RS256 JWTs checked against its published keys (JWKS)."""

    issuer: str = Field(min_length=1, description="Expected `iss` claim.")
    audience: str = Field(min_length=1, description="Expected `aud` claim (the client id of the app).")
    jwks_url: str = Field(pattern=r"^https?://", description="Where the issuer publishes its signing keys.")
    jwks_cache_seconds: float = Field(300.0, gt=0, description="How long fetched keys are trusted.")
    jwks_max_age_seconds: float = Field(
        86400.0, gt=0, description="Keys the issuer could not refresh for longer are no longer trusted (503)."
    )
    leeway_seconds: float = Field(30.0, ge=0, description="Clock skew allowed on `exp`, `nbf` and `iat`.")


class AuthConfig(_Section):
    """Optional authentication of collect requests; off by default, as in the original."""

    mode: Literal["none", "api_key", "oidc"] = Field(
        "none", description="none; api_key: an X-Api-Key header; oidc: an `Authorization: Bearer` JWT."
    )
    api_keys: dict[str, list[str]] = Field(
        default_factory=dict, description="app id -> keys accepted in the `X-Api-Key` header (mode api_key)."
    )
    oidc: OidcConfig | None = Field(None, description="The token issuer; required with mode oidc.")

    @model_validator(mode="after")
    def _mode_has_its_settings(self) -> AuthConfig:
        if self.mode == "api_key" and not any(self.api_keys.values()):
            raise ValueError("mode api_key needs at least one key under api_keys, e.g. {shop: [a-long-random-key]}")
        if self.mode == "oidc" and self.oidc is None:
            raise ValueError("mode oidc needs an oidc section with issuer, audience and jwks_url")
        for app_id, keys in self.api_keys.items():
            if any(len(key) < 16 for key in keys):
                raise ValueError(f"api_keys.{app_id}: keys must be at least 16 characters long")
        return self


class IngestionConfig(_Section):
    """The HTTP collector (`clickstream serve`)."""

    host: str = Field("127.0.0.1", description="Address to listen on; 0.0.0.0 for every interface.")
    port: int = Field(8080, ge=0, le=65535, description="Port to listen on (0: any free port).")
    path: str = Field("/collect", pattern=r"^/[A-Za-z0-9_\-/.]*$", description="Path the SDKs post events to.")
    sink: Literal["local", "s3", "kinesis", "kafka"] = Field(
        "local",
        description="Where sealed log segments are shipped: local (raw files under <home>/raw), s3, kinesis or "
        "kafka, each with its own section below.",
    )
    max_body_bytes: int = Field(
        1_000_000, gt=0, description="Largest body on the wire, judged from Content-Length before reading; else 413."
    )
    max_decoded_bytes: int = Field(
        DEFAULT_MAX_DECODED_BYTES,
        gt=0,
        description="Bytes a body may inflate to (base64 and gzip decoded); larger gets 413. The ETL rejects "
        "a raw record over it as too_large.",
    )
    max_events_per_request: int = Field(
        DEFAULT_MAX_EVENTS,
        ge=1,
        description="Events one request may hold; more gets 413. The ETL rejects a raw record over it as too_large.",
    )
    inflate_every_body: bool = Field(
        False,
        description="Inflate every gzip body before a 200, so a corrupt one gets 400 at the door (costs about as "
        "much CPU as the rest of a small request). Off: a small one-member body is checked by the size its gzip "
        "trailer states, and the ETL rejects a corrupt one as decode_error.",
    )
    cors_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Origins browsers may post from: exact, or patterns such as https://*.example.com.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of load balancers whose X-Forwarded-For is taken as the client IP.",
    )
    segment_max_bytes: int = Field(
        16_000_000, gt=0, description="A log segment this large is sealed and shipped (or older, see below)."
    )
    segment_max_age_seconds: float = Field(
        30.0, gt=0, description="A log segment older than this is sealed and shipped: bounds how stale raw/ is."
    )
    # --- processes, durability and shipping
    workers: int | None = Field(None, ge=1, le=256, description="Worker processes; default one per CPU core.")
    durability: Literal["fsync", "memory"] = Field(
        "fsync", description="fsync: 200 after the record is fsync'd; memory: 200 at once (lossy on a crash)."
    )
    ship_interval_seconds: float = Field(1.0, gt=0, description="How often sealed segments are shipped.")
    wal_writers: int = Field(
        0,
        ge=0,
        le=8,
        description="0: each worker commits its log on its event loop (least CPU per request on a local disk); "
        "N: N writer threads per worker whose commits overlap, so the loop never waits for a slow disk (NFS).",
    )
    wal_gather_ms: float = Field(
        1.0,
        ge=0,
        le=100,
        description="With wal_writers 0: a group commit waits while requests keep arriving, this long at most, "
        "so more requests share a flush; 0 commits what one poll of the sockets brought.",
    )
    pin_workers: bool = Field(
        True,
        description="Each worker process runs on its own CPU (of those the collector may use), when there are "
        "no more workers than CPUs: a worker that waits for its flush wakes on a warm core instead of "
        "migrating. False leaves placement to the kernel.",
    )
    wal_preallocate: bool = Field(
        True,
        description="New log segments are zero-filled spares, so a commit's flush carries no metadata "
        "(cheaper, quicker); every segment is written twice. fsync durability only.",
    )
    # --- a log shared by a fleet (ingestion/adoption.py): a crashed collector's log is shipped by another
    wal_root: str | None = Field(
        None,
        description="Folder the fleet shares for its logs (an EFS mount); each worker logs under "
        "<wal_root>/<task id>/<worker>. Default: <home>/wal/<worker>, on this machine only.",
    )
    wal_task_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
        description="This collector's folder under wal_root; default: the ECS task id, else the host name.",
    )
    adopt_interval_seconds: float = Field(
        30.0, gt=0, description="How often a collector with a wal_root ships the logs of collectors that died."
    )
    adopt_after_seconds: float = Field(
        60.0,
        ge=0,
        description="An unlocked log folder is adopted once no file came or went in it for this long "
        "(a starting collector creates its folder just before it locks it).",
    )
    # --- back-pressure and limits (memory stays bounded under any load)
    wal_max_bytes: int = Field(2_000_000_000, gt=0, description="Log size on disk (all workers) before 503.")
    max_inflight_bytes: int = Field(64_000_000, gt=0, description="Request bodies held at once per worker; else 503.")
    max_connections: int = Field(2048, ge=1, description="Open connections per worker before 503.")
    max_header_bytes: int = Field(16384, ge=1024, description="Request line and headers; larger gets 431.")
    request_timeout_seconds: float = Field(
        30.0, gt=0, description="Time to send one whole request, from its first byte; else 408."
    )
    keepalive_timeout_seconds: int = Field(
        75, ge=1, description="Idle keep-alive connections are closed after (keep above an ALB's 60 s)."
    )
    shutdown_timeout_seconds: float = Field(20.0, gt=0, description="Time for in-flight requests at SIGTERM.")
    retry_after_seconds: int = Field(5, ge=1, description="Retry-After of a 503 when the log is full.")
    rate_limit: RateLimitConfig | None = Field(None, description="Requests per second per app; null: no limit.")
    auth: AuthConfig = Field(default_factory=AuthConfig, description="Authentication of collect requests.")
    s3: S3SinkConfig | None = Field(None, description="Required with sink: s3.")
    kinesis: KinesisSinkConfig | None = Field(None, description="Required with sink: kinesis.")
    kafka: KafkaSinkConfig | None = Field(None, description="Required with sink: kafka.")

    @property
    def payload_limits(self) -> PayloadLimits:
        """The caps on a decoded body, which the collector and the ETL both apply."""
        return PayloadLimits(self.max_decoded_bytes, self.max_events_per_request)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network such as 10.0.0.0/8") from None
        return value

    @field_validator("wal_root")
    @classmethod
    def _absolute_root(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"{value!r} is not an absolute path; use the mount point, e.g. /mnt/wal")
        return value

    @property
    def worker_count(self) -> int:
        """``workers``, or one per CPU core."""
        return self.workers or os.cpu_count() or 1

    @model_validator(mode="after")
    def _sink_section_present(self) -> IngestionConfig:
        if getattr(self, self.sink, True) is None:
            raise ValueError(
                f"ingestion.{self.sink} is required when ingestion.sink is {self.sink!r}; "
                f"add it, e.g. {_SINK_EXAMPLES[self.sink]}"
            )
        return self


_MiB = 1024 * 1024
_SINK_EXAMPLES = {
    "s3": "ingestion.s3: {bucket: my-raw-bucket, prefix: clickstream/}",
    "kinesis": "ingestion.kinesis: {stream: clickstream-raw}",
    "kafka": "ingestion.kafka: {bootstrap_servers: 'broker1:9092,broker2:9092', topic: clickstream-raw}",
}


class SinkRetryConfig(_Section):
    """How often and how patiently an AWS sink retries a call that failed transiently."""

    max_attempts: int = Field(6, ge=1, le=50, description="Tries per call, the first included.")
    backoff_base_seconds: float = Field(0.2, ge=0, description="First wait; doubles each retry, with jitter.")
    backoff_max_seconds: float = Field(20.0, ge=0, description="Longest single wait.")


class S3SinkConfig(SinkRetryConfig):
    """``ingestion.sink: s3``: raw files as objects ``<prefix>raw/year=/month=/day=/hour=/<file>.jsonl.gz``."""

    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", description="S3 bucket name.")
    prefix: str = Field("", description="Key prefix; a trailing '/' is added when missing.")
    endpoint_url: EndpointUrl = Field(None, description="S3-compatible endpoint; default: AWS for the region.")
    region: str | None = Field(None, description="AWS region; default: the AWS SDK's own lookup.")
    multipart_threshold_bytes: int = Field(16 * _MiB, ge=1, description="Gzip files larger than this upload in parts.")
    multipart_part_bytes: int = Field(8 * _MiB, ge=5 * _MiB, le=5 * 1024 * _MiB, description="Size of each part.")

    @field_validator("prefix")
    @classmethod
    def _slash(cls, value: str) -> str:
        value = value.lstrip("/")
        return value if not value or value.endswith("/") else value + "/"


class KinesisSinkConfig(SinkRetryConfig):
    """``ingestion.sink: kinesis``: one Kinesis record per raw record (PutRecords)."""

    stream: str = Field(pattern=r"^[a-zA-Z0-9_.-]{1,128}$", description="Kinesis data stream name.")
    endpoint_url: EndpointUrl = Field(None, description="Kinesis-compatible endpoint; default: AWS for the region.")
    region: str | None = Field(None, description="AWS region; default: the AWS SDK's own lookup.")


# librdkafka settings the Kafka sink fixes because its delivery guarantee depends on them.
_KAFKA_FIXED = {"acks": ("all", "-1"), "enable.idempotence": ("true",)}


class KafkaSinkConfig(_Section):
    """``ingestion.sink: kafka``: one Kafka message per raw record, idempotent producer with acks=all."""

    bootstrap_servers: str = Field(min_length=1, description="Comma-separated host:port list of brokers.")
    topic: str = Field(pattern=r"^[a-zA-Z0-9._-]{1,249}$", description="Topic the raw records go to.")
    settings: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="Extra librdkafka producer settings (security.protocol, sasl.*, compression.type, ...).",
    )

    @field_validator("settings")
    @classmethod
    def _no_weakening(cls, value: dict[str, str | int | float | bool]) -> dict[str, str | int | float | bool]:
        if "bootstrap.servers" in value:
            raise ValueError("set the brokers with ingestion.kafka.bootstrap_servers, not settings")
        for key, allowed in _KAFKA_FIXED.items():
            if key in value and str(value[key]).lower() not in allowed:
                raise ValueError(
                    f"{key} must stay {allowed[0]} (a 200 promises the record is kept); remove it from settings"
                )
        return value


IngestionConfig.model_rebuild()  # its sink sections are defined after it


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


_S3_PREFIX_PATTERN = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9_.=/-]*)?$"
_IAM_ROLE_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"
_SECRET_ARN_PATTERN = r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$"


def _slashed(value: str) -> str:
    return value if value.endswith("/") else value + "/"


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
            raise ValueError("warehouse.athena.data_root is unset: open the warehouse through loader.factory")
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


class DbtConfig(_Section):
    """How `clickstream model` runs dbt."""

    project_dir: Path | None = Field(None, description="dbt project; default: the bundled dbt_project/")
    target: Literal["duckdb", "redshift", "athena"] | None = Field(
        None,
        description="dbt profile output; default (and the only value allowed): warehouse.type, which it follows.",
    )
    threads: int = Field(2, ge=1, le=32, description="dbt threads (models built at once).")
    reader_role: str | None = Field(
        None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="Redshift: database role granted read access to the models after each run (the Studio's).",
    )


_SUBNET_PATTERN = r"^subnet-[0-9a-f]{8,17}$"


class InfraConfig(_Section):
    """`clickstream infra`: the AWS deployment (docs/deploy-aws.md). Only `render` works without the network
    keys; `deploy` names each one still missing. Any other template parameter goes under ``parameters``."""

    stack_name: str = Field(
        "clickstream", pattern=r"^[a-z][a-z0-9-]{2,19}$", description="Root stack name; prefixes resource names."
    )
    region: str | None = Field(None, description="AWS region; default: the AWS SDK's own lookup.")
    artifact_bucket: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Existing bucket `deploy` uploads the templates, base config and Spark job files to; "
        "required to deploy.",
    )
    artifact_prefix: str = Field("clickstream/artifacts/", description="Key prefix of those uploads.")
    build_dir: Path | None = Field(None, description="Where render and package write; default <home>/infra.")
    vpc_id: str | None = Field(None, pattern=r"^vpc-[0-9a-f]{8,17}$", description="Existing VPC. Required to deploy.")
    vpc_cidr: str | None = Field(
        None, description="CIDR of that VPC (the collector trusts the ALB inside it). Required to deploy."
    )
    public_subnet_ids: list[str] = Field(
        default_factory=list, description="Subnets of the load balancer (2+). Required to deploy."
    )
    private_subnet_ids: list[str] = Field(
        default_factory=list, description="Subnets of tasks, EMR, Redshift (3 zones). Required to deploy."
    )
    image_uri: str | None = Field(
        None, description="The project image in ECR (built from `package`'s image/). Required to deploy."
    )
    spark_image_uri: str | None = Field(
        None, description="The EMR Serverless image (from `package`'s emr-image/). Required to deploy."
    )
    certificate_arn: str | None = Field(
        None, pattern=r"^arn:aws[a-z-]*:acm:", description="ACM certificate: HTTPS on 443, needed by the Studio."
    )
    sink: Literal["s3", "kinesis", "msk"] = Field(
        "s3",
        description="Where the collectors ship raw records: s3, kinesis (a stream and Firehose to raw/) "
        "or msk (an existing cluster).",
    )
    warehouse: Literal["redshift", "athena"] = Field("redshift", description="Redshift Serverless or Athena.")
    etl_schedule: str = Field("cron(0 1 * * ? *)", min_length=1, description="When the Spark ETL starts.")
    studio: bool = Field(False, description="Run Analytics Studio behind the load balancer.")
    studio_domain: str | None = Field(None, description="Host name of the Studio (covered by the certificate).")
    sign_in: Literal["cognito", "oidc", "none"] = Field(
        "cognito",
        description="Who signs Studio users in: cognito, oidc (Oidc* template parameters under parameters) or none.",
    )
    alarm_email: str | None = Field(None, description="E-mail subscribed to the alarms.")
    parameters: dict[str, str | int] = Field(
        default_factory=dict, description="Any other root template parameter by name, e.g. {IngestionMaxTasks: 20}."
    )

    @field_validator("artifact_prefix")
    @classmethod
    def _prefix_slash(cls, value: str) -> str:
        value = value.lstrip("/")
        return value if not value or value.endswith("/") else value + "/"

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is not a CIDR such as 10.0.0.0/16") from None
        return value

    @field_validator("public_subnet_ids", "private_subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        bad = [subnet for subnet in value if not re.match(_SUBNET_PATTERN, subnet)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not a subnet id such as subnet-0123456789abcdef0")
        return value

    @model_validator(mode="after")
    def _studio_needs_https(self) -> InfraConfig:
        if self.studio and (self.certificate_arn is None or not self.studio_domain):
            raise ValueError("studio: true needs certificate_arn and studio_domain (the Studio signs in over HTTPS)")
        return self


_QUICKSIGHT_PRINCIPAL_PATTERN = r"^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:[0-9]{12}:(user|group)/[A-Za-z0-9_.@+=,/-]+$"


class QuickSightRefreshConfig(_Section):
    """When SPICE datasets are refreshed (``dashboards.quicksight.import_mode: SPICE``)."""

    interval: Literal["HOURLY", "DAILY", "WEEKLY", "MONTHLY"] = Field("DAILY", description="How often.")
    time_of_day: str = Field("03:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM in timezone.")
    timezone: str = Field("UTC", description="IANA timezone of time_of_day.")
    day_of_week: Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"] | None = Field(
        None, description="The day of a WEEKLY refresh (required for WEEKLY, refused otherwise)."
    )
    day_of_month: int | Literal["LAST_DAY_OF_MONTH"] | None = Field(
        None, description="The day (1-28 or LAST_DAY_OF_MONTH) of a MONTHLY refresh (required for MONTHLY only)."
    )

    @model_validator(mode="after")
    def _day_fits_interval(self) -> QuickSightRefreshConfig:
        """QuickSight needs the day of a weekly or monthly refresh, and takes none for the others."""
        if self.interval == "WEEKLY" and self.day_of_week is None:
            raise ValueError("a WEEKLY refresh needs day_of_week, e.g. day_of_week: MONDAY")
        if self.interval == "MONTHLY" and self.day_of_month is None:
            raise ValueError("a MONTHLY refresh needs day_of_month: 1 to 28 or LAST_DAY_OF_MONTH")
        if self.day_of_week is not None and self.interval != "WEEKLY":
            raise ValueError("day_of_week is for a WEEKLY refresh; remove it or set interval: WEEKLY")
        if self.day_of_month is not None and self.interval != "MONTHLY":
            raise ValueError("day_of_month is for a MONTHLY refresh; remove it or set interval: MONTHLY")
        if isinstance(self.day_of_month, int) and not 1 <= self.day_of_month <= 28:
            raise ValueError("day_of_month must be 1 to 28 (QuickSight's limit) or LAST_DAY_OF_MONTH")
        return self


class QuickSightConfig(_Section):
    """``clickstream dashboards publish``: where and for whom the dashboards are published."""

    aws_account_id: str = Field(pattern=r"^[0-9]{12}$", description="The AWS account of the QuickSight subscription.")
    region: str | None = Field(None, description="QuickSight region; default: the warehouse's, else the SDK's.")
    endpoint_url: EndpointUrl = Field(None, description="QuickSight-compatible endpoint (tests).")
    principals: list[str] = Field(
        default_factory=list,
        description="QuickSight user/group ARNs given the dashboards, datasets and folder (owners); at least one.",
    )
    viewers: list[str] = Field(default_factory=list, description="QuickSight user/group ARNs that may view only.")
    resource_prefix: str = Field(
        "clickstream", pattern=r"^[a-zA-Z][a-zA-Z0-9_-]{0,40}$", description="Prefix of every QuickSight resource id."
    )
    folder_name: str = Field("Clickstream", min_length=1, max_length=128, description="Shared folder of dashboards.")
    import_mode: Literal["DIRECT_QUERY", "SPICE"] = Field(
        "DIRECT_QUERY", description="DIRECT_QUERY: each view queries the warehouse; SPICE: imported on a schedule."
    )
    refresh: QuickSightRefreshConfig = Field(
        default_factory=QuickSightRefreshConfig, description="When SPICE datasets are refreshed."
    )
    redshift_host: str | None = Field(
        None, description="Redshift endpoint host for the data source; required with warehouse.type redshift."
    )
    redshift_port: int = Field(5439, ge=1, le=65535, description="Redshift endpoint port.")
    redshift_secret_arn: str | None = Field(
        None,
        pattern=_SECRET_ARN_PATTERN,
        description="Secrets Manager secret with the data source's login; default: warehouse.redshift.secret_arn "
        "(Redshift needs one of the two).",
    )
    vpc_connection_arn: str | None = Field(None, description="QuickSight VPC connection to reach a private Redshift.")
    athena_workgroup: str = Field("primary", min_length=1, description="Athena work group (Athena only).")

    @field_validator("principals", "viewers")
    @classmethod
    def _arns(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not re.match(_QUICKSIGHT_PRINCIPAL_PATTERN, arn):
                raise ValueError(
                    f"{arn!r} is not a QuickSight principal; write arn:aws:quicksight:<region>:<account>:user/"
                    "default/<name> or ...:group/default/<name>"
                )
        return value

    @model_validator(mode="after")
    def _someone_owns_the_resources(self) -> QuickSightConfig:
        """Resources created with no permissions exist but no user sees them in the QuickSight console."""
        if not self.principals:
            raise ValueError(
                "principals: list at least one QuickSight user or group ARN to own the dashboards, e.g. "
                "principals: [arn:aws:quicksight:us-east-1:123456789012:user/default/admin]"
            )
        return self


class DashboardsConfig(_Section):
    """The preset dashboards: offline HTML (`clickstream dashboards render`) and QuickSight (`... publish`)."""

    render: bool = Field(True, description="`clickstream run` re-renders the offline dashboards (DuckDB only).")
    days: int = Field(90, ge=1, le=3660, description="Days of data (up to the latest) embedded in each HTML file.")
    quicksight: QuickSightConfig | None = Field(None, description="Required by `clickstream dashboards publish`.")


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


def _resolve_paths(config: Config, base: Path) -> Config:
    """Make every relative path absolute against ``base`` (the config file's folder)."""

    def absolute(path: Path) -> Path:
        return path if path.is_absolute() else (base / path).resolve()

    warehouse = config.warehouse
    if warehouse.path is not None:
        warehouse = warehouse.model_copy(update={"path": absolute(warehouse.path)})
    dbt = config.dbt
    if dbt.project_dir is not None:
        dbt = dbt.model_copy(update={"project_dir": absolute(dbt.project_dir)})
    enrichment = config.etl.enrichment
    enrichment = enrichment.model_copy(
        update={
            key: absolute(getattr(enrichment, key))
            for key in ("geo_database", "traffic_source_rules_dir")
            if getattr(enrichment, key) is not None
        }
    )
    etl = config.etl.model_copy(update={"enrichment": enrichment})
    infra = config.infra
    if infra.build_dir is not None:
        infra = infra.model_copy(update={"build_dir": absolute(infra.build_dir)})
    data_root = config.data_root
    if data_root is not None and "://" not in data_root:
        data_root = str(absolute(Path(data_root)))
    return config.model_copy(
        update={
            "home": absolute(config.home),
            "data_root": data_root,
            "warehouse": warehouse,
            "dbt": dbt,
            "etl": etl,
            "infra": infra,
        }
    )


def _describe(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, error["loc"][:-1])
        suffix = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return f"{key}: unknown key{suffix}"
    message = re.sub(r"^Value error, ", "", error["msg"])
    return f"{key}: {message}"


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        current = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if current is None:
            return []
    return [field.alias or name for name, field in current.model_fields.items()]


def parse_config(data: Mapping[str, Any] | None, base: Path, source: str = "configuration") -> Config:
    """Validate a mapping as a :class:`Config`; relative paths resolve against ``base``."""
    try:
        config = Config.model_validate(dict(data or {}))
    except ValidationError as exc:
        problems = [_describe(error, Config) for error in exc.errors()]
        raise ConfigError(
            f"invalid {source}: " + "; ".join(problems),
            hint="fix the key(s) named above; see docs/configuration.md",
        ) from None
    return _resolve_paths(config, base)


def find_config_file(explicit: Path | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The file to read: ``--config``, else ``$CLICKSTREAM_CONFIG``, else ``./clickstream.yml`` if present."""
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV_VAR):
        return Path(environ[CONFIG_ENV_VAR])
    candidate = cwd / CONFIG_FILE_NAME
    return candidate if candidate.exists() else None


def load_config(
    explicit: Path | None = None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Config:
    """Load and validate the configuration; with no file at all, the defaults (rooted at ``cwd``)."""
    cwd = cwd or Path.cwd()
    path = find_config_file(explicit, os.environ if environ is None else environ, cwd)
    if path is None:
        return parse_config({}, cwd, "defaults")
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist", hint=f"create it, or unset {CONFIG_ENV_VAR} / --config")
    data = read_yaml_mapping(path, f"config file {path}")
    return parse_config(data, path.parent.resolve(), str(path))


def read_yaml_mapping(path: Path, what: str) -> dict[str, Any] | None:
    """A YAML file holding a mapping (None when empty); a ConfigError naming ``what`` otherwise."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} is not valid YAML: {exc}", hint="check indentation and quoting") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{what} must hold a mapping of keys, not {type(data).__name__}")
    return data

"""The collector (`ingestion`): listening, body limits, the write-ahead log, rate limits and authentication."""

from __future__ import annotations

import ipaddress
import os
from typing import Literal

from pydantic import Field, field_validator, model_validator

from clickstream.config._base import _Section
from clickstream.config.oidc import OidcConfig
from clickstream.config.sinks import KafkaSinkConfig, KinesisSinkConfig, S3SinkConfig
from clickstream.payload import DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_EVENTS, PayloadLimits


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


_SINK_EXAMPLES = {
    "s3": "ingestion.s3: {bucket: my-raw-bucket, prefix: clickstream/}",
    "kinesis": "ingestion.kinesis: {stream: clickstream-raw}",
    "kafka": "ingestion.kafka: {bootstrap_servers: 'broker1:9092,broker2:9092', topic: clickstream-raw}",
}


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
    apps_refresh_seconds: float = Field(
        5.0,
        ge=0.5,
        le=60,
        description="How often each worker re-reads the live app list (apps created or deleted in the Studio).",
    )
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

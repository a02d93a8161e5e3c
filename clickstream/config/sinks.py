"""Where the collector ships sealed log segments (`ingestion.s3`, `ingestion.kinesis`, `ingestion.kafka`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from clickstream.config._base import EndpointUrl, _Section

_MiB = 1024 * 1024


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

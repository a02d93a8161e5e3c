"""boto3 clients for the AWS sinks and the line between transient and permanent AWS errors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from clickstream.errors import SinkError

if TYPE_CHECKING:
    from mypy_boto3_kinesis.client import KinesisClient
    from mypy_boto3_s3.client import S3Client

logger = logging.getLogger("clickstream.ingestion.sinks")

# Error codes AWS documents as worth retrying (throttling, brief server trouble).
_TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "KMSThrottlingException",
        "LimitExceededException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    }
)


def _client_config(**extra: Any) -> botocore.config.Config:
    """botocore's retries off (the sink's :class:`Backoff` retries) and bounded timeouts."""
    return botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60, **extra)


def s3_client(endpoint_url: str | None, region: str | None) -> S3Client:
    # S3-compatible servers rarely have per-bucket hostnames: path-style addressing for custom endpoints.
    extra = {"s3": {"addressing_style": "path"}} if endpoint_url else {}
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region, config=_client_config(**extra)
    )


def kinesis_client(endpoint_url: str | None, region: str | None) -> KinesisClient:
    return boto3.session.Session().client(
        "kinesis", endpoint_url=endpoint_url, region_name=region, config=_client_config()
    )


def error_code(exc: Exception) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return type(exc).__name__


def is_transient(exc: Exception) -> bool:
    """Throttling, 5xx answers and network trouble are retried; everything else is a configuration problem."""
    if isinstance(exc, botocore.exceptions.ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return error_code(exc) in _TRANSIENT_CODES or status >= 500 or status == 429
    return isinstance(exc, botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError)


_HINTS = {
    "NoSuchBucket": "create the bucket or fix ingestion.s3.bucket",
    "ResourceNotFoundException": "create the stream or fix ingestion.kinesis.stream",
    "AccessDenied": "give the collector's AWS identity permission to write there",
    "AccessDeniedException": "give the collector's AWS identity permission to write there",
    "NoCredentialsError": "provide AWS credentials (environment, profile or instance role)",
    "InvalidAccessKeyId": "check the AWS credentials the collector runs with",
}


def sink_error(what: str, exc: Exception) -> SinkError:
    """A :class:`SinkError` naming the call, the AWS error and, where known, the fix."""
    code = error_code(exc)
    hint = _HINTS.get(code) or ("the destination stayed unavailable; the segment will be shipped again later")
    return SinkError(f"{what} failed: {exc}", hint=hint)

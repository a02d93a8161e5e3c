"""What the sink tests share: a segment of raw records as the log seals it, and clients on moto."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import orjson

from clickstream.contract import raw_record

REGION = "eu-west-1"
SEGMENT_NAME = "1700000000000-000001.seg"  # opened 2023-11-14 22:13:20 UTC
RAW_KEY = "raw/year=2023/month=11/day=14/hour=22/w0-1700000000000-000001.jsonl.gz"


def aws(service: str, endpoint: str) -> Any:
    """A plain boto3 client on moto, for setting up and reading back (not the sink's own client)."""
    # boto3's stubs overload client() per literal service name; this helper takes any name
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)  # type: ignore[call-overload]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def raw_line(n: int, data: str | None = None) -> bytes:
    """One raw record as the collector logs it, with request id ``rid-<n>``."""
    record = raw_record(
        data=data if data is not None else f'[{{"event_type":"_page_view","event_id":"e-{n}"}}]',
        uri=f"/collect?appId=shop&platform=Web&event_bundle_sequence_id={n}",
        query={"appId": "shop", "platform": "Web"},
        method="POST",
        ip="203.0.113.7",
        user_agent="Mozilla/5.0",
        request_id=f"rid-{n:06d}",
        now_ms=1_700_000_000_000 + n,
    )
    return orjson.dumps(record)


def write_segment(directory: Path, lines: list[bytes], name: str = SEGMENT_NAME) -> Path:
    """A sealed write-ahead-log segment holding ``lines``, as the log leaves it for the shipper."""
    directory.mkdir(parents=True, exist_ok=True)
    segment = directory / name
    segment.write_bytes(b"".join(line + b"\n" for line in lines))
    return segment

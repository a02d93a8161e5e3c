"""The ETL reads raw files from S3 and writes its outputs there (moto's S3 server on loopback)."""

from __future__ import annotations

import gzip
from urllib.parse import urlsplit

import boto3
import orjson

from clickstream.etl.runner import run_etl
from clickstream.storage import Storage
from tests.support.etl import make_job

RAW = "raw/year=2023/month=11/day=15/hour=01/w0-1700000000000-000001.jsonl.gz"


def test_raw_files_on_s3_become_processed_files_on_s3(moto_endpoint: str, fake_aws_credentials: None) -> None:
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket="etl-lake")
    address = urlsplit(moto_endpoint).netloc
    storage = Storage(f"s3://etl-lake/home?endpoint_override={address}&scheme=http&region=us-east-1")
    event = {"event_id": "e1", "app_id": "shop", "timestamp": 1_700_000_000_000, "event_type": "x", "unique_id": "u"}
    record = {"appId": "shop", "ingest_time": 1_700_000_000_000, "data": orjson.dumps([event]).decode()}
    storage.write_bytes(RAW, gzip.compress(orjson.dumps(record)))

    result = run_etl(storage.root, make_job(("shop",), freshness_hours=None))

    assert (result.files_processed, result.events, result.failed_files) == (1, 1, {})
    [events] = storage.list_files("processed/event_v2", ".parquet")
    assert events.path.endswith("partition_day=14/20231115T01-w0-1700000000000-000001.parquet")
    assert storage.read_parquet(events.path).column("event_id").to_pylist() == ["e1"]
    assert run_etl(storage.root, make_job(("shop",))).files_seen == 0  # the done marker is on S3 too

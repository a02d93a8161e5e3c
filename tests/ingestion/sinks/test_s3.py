"""The s3 sink, through real boto3 clients against moto's S3 server (and botocore's Stubber for throttling)."""

from __future__ import annotations

import base64
import gzip
import os
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from clickstream.errors import SinkError
from clickstream.ingestion.shipper import ship_segments
from clickstream.ingestion.sinks import SegmentBatch, build_sink
from clickstream.ingestion.sinks.retry import Backoff
from clickstream.ingestion.sinks.s3 import S3Sink
from tests.support.config import make_config
from tests.support.loopback import free_port
from tests.support.sinks import RAW_KEY, REGION, aws, raw_line, write_segment


def s3_sink(tmp_path: Path, endpoint: str, bucket: str, **s3: Any) -> S3Sink:
    """The sink ``build_sink`` makes from a config with this ``ingestion.s3`` section."""
    section = {"bucket": bucket, "endpoint_url": endpoint, "region": REGION, **s3}
    sink = build_sink(make_config(tmp_path / "home", ingestion={"sink": "s3", "s3": section}))
    assert isinstance(sink, S3Sink)
    return sink


def object_lines(endpoint: str, bucket: str, key: str) -> list[bytes]:
    body = aws("s3", endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    return gzip.decompress(body).splitlines()


def test_a_segment_becomes_one_gzip_object_under_the_prefix_in_the_raw_layout(
    tmp_path: Path, moto_endpoint: str, bucket: str
) -> None:
    lines = [raw_line(n) for n in range(3)]
    segment = write_segment(tmp_path / "wal", lines)
    sink = s3_sink(tmp_path, moto_endpoint, bucket, prefix="clickstream/proj")

    assert ship_segments([segment], sink, "w0") == 3

    listed = aws("s3", moto_endpoint).list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in listed] == [f"clickstream/proj/{RAW_KEY}"]
    assert object_lines(moto_endpoint, bucket, f"clickstream/proj/{RAW_KEY}") == lines
    assert not segment.exists()


def test_shipping_a_segment_again_rewrites_the_same_object(tmp_path: Path, moto_endpoint: str, bucket: str) -> None:
    lines = [raw_line(n) for n in range(2)]
    sink = s3_sink(tmp_path, moto_endpoint, bucket)
    ship_segments([write_segment(tmp_path / "wal", lines)], sink, "w0")
    first = aws("s3", moto_endpoint).get_object(Bucket=bucket, Key=RAW_KEY)["ETag"]

    ship_segments([write_segment(tmp_path / "wal", lines)], sink, "w0")  # as after a crash before the delete

    listed = aws("s3", moto_endpoint).list_objects_v2(Bucket=bucket)["Contents"]
    assert [(item["Key"], item["ETag"]) for item in listed] == [(RAW_KEY, first)]


def test_a_batch_over_the_threshold_is_uploaded_in_parts(tmp_path: Path, moto_endpoint: str, bucket: str) -> None:
    # Random payloads barely compress: about 6.5 MiB of gzip, so two parts of at most 5 MiB.
    lines = [raw_line(n, data=base64.b64encode(os.urandom(72_000)).decode()) for n in range(90)]
    sink = s3_sink(
        tmp_path, moto_endpoint, bucket, multipart_threshold_bytes=1024 * 1024, multipart_part_bytes=5 * 1024 * 1024
    )

    ship_segments([write_segment(tmp_path / "wal", lines)], sink, "w0")

    head = aws("s3", moto_endpoint).head_object(Bucket=bucket, Key=RAW_KEY, PartNumber=1)
    assert head["PartsCount"] == 2
    assert object_lines(moto_endpoint, bucket, RAW_KEY) == lines
    assert aws("s3", moto_endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_a_missing_bucket_fails_at_once_with_the_fix_and_the_segment_stays(tmp_path: Path, moto_endpoint: str) -> None:
    waits: list[float] = []
    sink = s3_sink(tmp_path, moto_endpoint, "no-such-bucket-here")
    sink.backoff = Backoff(attempts=5, base_seconds=0.01, sleep=waits.append)
    segment = write_segment(tmp_path / "wal", [raw_line(1)])

    with pytest.raises(SinkError, match="NoSuchBucket") as error:
        ship_segments([segment], sink, "w0")

    assert error.value.hint == "create the bucket or fix ingestion.s3.bucket"
    assert waits == []  # not a transient error: no retries
    assert segment.exists()


def test_an_unreachable_endpoint_is_retried_with_growing_waits_then_reported(tmp_path: Path, bucket: str) -> None:
    waits: list[float] = []
    sink = s3_sink(tmp_path, f"http://127.0.0.1:{free_port()}", bucket)
    sink.backoff = Backoff(attempts=4, base_seconds=0.01, sleep=waits.append)
    segment = write_segment(tmp_path / "wal", [raw_line(1)])

    with pytest.raises(SinkError, match="Could not connect"):
        ship_segments([segment], sink, "w0")

    assert len(waits) == 3
    for retry, wait in enumerate(waits):
        assert 0.01 * 2**retry * 0.5 <= wait <= 0.01 * 2**retry
    assert segment.exists()


def test_a_throttled_upload_is_retried_until_s3_accepts_it() -> None:
    client = boto3.client("s3", region_name=REGION)
    batch = SegmentBatch(PurePosixPath(RAW_KEY), raw_line(1) + b"\n")
    expected = {
        "Bucket": "raw-bucket",
        "Key": f"p/{RAW_KEY}",
        "Body": batch.gzipped(),
        "ContentType": "application/x-ndjson",
        "ContentEncoding": "gzip",
    }
    waits: list[float] = []
    sink = S3Sink(client, "raw-bucket", "p/", backoff=Backoff(attempts=3, base_seconds=0.01, sleep=waits.append))
    with Stubber(client) as stub:
        stub.add_client_error("put_object", "SlowDown", "Please reduce your request rate.", 503, expected)
        stub.add_client_error("put_object", "InternalError", "We encountered an internal error.", 500, expected)
        stub.add_response("put_object", {"ETag": '"0123"'}, expected)

        sink.put_segment(batch)

        stub.assert_no_pending_responses()
    assert len(waits) == 2


def test_a_multipart_upload_that_fails_is_aborted() -> None:
    client = boto3.client("s3", region_name=REGION)
    batch = SegmentBatch(PurePosixPath(RAW_KEY), raw_line(1) + b"\n")
    sink = S3Sink(client, "raw-bucket", multipart_threshold_bytes=1, backoff=Backoff(attempts=2, sleep=lambda _: None))
    target = {"Bucket": "raw-bucket", "Key": RAW_KEY}
    with Stubber(client) as stub:
        stub.add_response("create_multipart_upload", {"UploadId": "up-1", **target})
        stub.add_client_error("upload_part", "AccessDenied", "Access Denied", 403)
        stub.add_response("abort_multipart_upload", {}, {**target, "UploadId": "up-1"})

        with pytest.raises(SinkError, match="AccessDenied"):
            sink.put_segment(batch)

        stub.assert_no_pending_responses()

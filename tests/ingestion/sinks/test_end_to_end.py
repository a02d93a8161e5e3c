"""A live collector with the s3 sink: what got a 200 ends up in the bucket under the raw layout."""

from __future__ import annotations

import gzip
import http.client
import json
import re
from pathlib import Path

from clickstream.contract import WAL_DIR
from clickstream.ingestion.sinks.s3 import S3Sink
from tests.support.collector import live_collector
from tests.support.config import make_config
from tests.support.sinks import REGION, aws


def test_requests_acknowledged_by_a_collector_with_the_s3_sink_are_objects_in_the_bucket(
    tmp_path: Path, moto_endpoint: str, bucket: str
) -> None:
    s3 = {"bucket": bucket, "prefix": "clickstream/demo/", "endpoint_url": moto_endpoint, "region": REGION}
    config = make_config(tmp_path / "home", ingestion={"sink": "s3", "s3": s3, "segment_max_bytes": 2_000})
    request_ids: list[str] = []
    with live_collector(config, ship_interval_seconds=0.2) as live:
        assert isinstance(live.app.sink, S3Sink)
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        for n in range(40):
            body = json.dumps([{"event_type": "_page_view", "event_id": f"e-{n}", "app_id": "shop"}])
            connection.request("POST", f"/collect?appId=shop&platform=Web&event_bundle_sequence_id={n}", body=body)
            response = connection.getresponse()
            response.read()
            request_id = response.getheader("X-Request-ID")
            assert response.status == 200 and request_id is not None
            request_ids.append(request_id)

    client = aws("s3", moto_endpoint)
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) > 1  # small segments: several files
    layout = re.compile(r"^clickstream/demo/raw/year=\d{4}/month=\d\d/day=\d\d/hour=\d\d/w0-\d{13}-\d{6}\.jsonl\.gz$")
    assert all(layout.match(key) for key in keys), keys
    records = [
        json.loads(line)
        for key in keys
        for line in gzip.decompress(client.get_object(Bucket=bucket, Key=key)["Body"].read()).splitlines()
    ]
    assert sorted(record["rid"] for record in records) == sorted(request_ids)
    assert {record["appId"] for record in records} == {"shop"}
    assert not list((config.home / WAL_DIR / "w0").glob("*.seg"))

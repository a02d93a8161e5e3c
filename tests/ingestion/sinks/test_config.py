"""Choosing a sink in clickstream.yml: the sections each sink needs, and errors that say what to add."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from clickstream.config import load_config
from clickstream.errors import ConfigError
from clickstream.ingestion.shipper import ship_segments
from clickstream.ingestion.sinks import StorageSink, build_sink
from clickstream.storage import Storage
from tests.support.config import make_config
from tests.support.sinks import RAW_KEY, raw_line, write_segment


def config_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "clickstream.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    return error.value.message


@pytest.mark.parametrize("sink", ["s3", "kinesis", "kafka"])
def test_choosing_a_sink_without_its_section_names_the_section_to_add(tmp_path: Path, sink: str) -> None:
    message = config_error(tmp_path, f"ingestion:\n  sink: {sink}\n")
    assert f"ingestion.{sink} is required when ingestion.sink is '{sink}'" in message
    assert f"add it, e.g. ingestion.{sink}: {{" in message


def test_an_unknown_sink_lists_the_choices(tmp_path: Path) -> None:
    message = config_error(tmp_path, "ingestion:\n  sink: firehose\n")
    assert "ingestion.sink" in message
    assert all(f"'{name}'" in message for name in ("local", "s3", "kinesis", "kafka"))


def test_an_unknown_key_in_a_sink_section_lists_the_allowed_keys(tmp_path: Path) -> None:
    message = config_error(tmp_path, "ingestion:\n  sink: s3\n  s3:\n    bucket: raw\n    endpoint: http://x\n")
    assert "ingestion.s3.endpoint: unknown key" in message
    assert "endpoint_url" in message


def test_kafka_settings_cannot_weaken_the_delivery_guarantee(tmp_path: Path) -> None:
    base = "ingestion:\n  sink: kafka\n  kafka:\n    bootstrap_servers: b:9092\n    topic: raw\n    settings:\n"
    assert "acks must stay all" in config_error(tmp_path, base + "      acks: 1\n")
    assert "enable.idempotence must stay true" in config_error(tmp_path, base + "      enable.idempotence: false\n")
    assert "ingestion.kafka.bootstrap_servers" in config_error(tmp_path, base + "      bootstrap.servers: b:1\n")


def test_s3_multipart_parts_cannot_be_smaller_than_s3_allows(tmp_path: Path) -> None:
    message = config_error(tmp_path, "ingestion:\n  sink: s3\n  s3:\n    bucket: raw\n    multipart_part_bytes: 1000\n")
    assert "ingestion.s3.multipart_part_bytes" in message


@pytest.mark.parametrize("sink", ["s3", "kinesis"])
def test_an_endpoint_without_a_scheme_is_refused_with_an_example(tmp_path: Path, sink: str) -> None:
    section = "bucket: raw" if sink == "s3" else "stream: raw"
    message = config_error(tmp_path, f"ingestion:\n  sink: {sink}\n  {sink}:\n    {section}\n    endpoint_url: h:9\n")
    assert f"ingestion.{sink}.endpoint_url: 'h:9' is not a URL" in message
    assert "http://127.0.0.1:5000" in message


def test_the_s3_prefix_is_a_folder(tmp_path: Path) -> None:
    config = make_config(tmp_path, ingestion={"sink": "s3", "s3": {"bucket": "raw", "prefix": "/clickstream/demo"}})
    assert config.ingestion.s3 is not None
    assert config.ingestion.s3.prefix == "clickstream/demo/"


def test_the_default_sink_writes_raw_files_under_home(tmp_path: Path) -> None:
    config = make_config(tmp_path / "home")
    sink = build_sink(config)
    assert isinstance(sink, StorageSink)
    lines = [raw_line(1), raw_line(2)]

    ship_segments([write_segment(tmp_path / "wal", lines)], sink, "w0")

    assert gzip.decompress(Storage(config.home).read_bytes(RAW_KEY)).splitlines() == lines

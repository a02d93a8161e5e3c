"""The Spark entry point's arguments: a config file (local or by URI), explicit values, or both."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from clickstream.errors import ConfigError
from clickstream.etl.spark_args import job_from_args, parse_args

CONFIG = """
home: data
project_id: from_file
apps: [{id: shop}, {id: blog}]
etl: {job_id: nightly, freshness_hours: 24}
"""


def test_a_local_config_gives_the_root_apps_and_etl_settings(tmp_path: Path) -> None:
    (tmp_path / "clickstream.yml").write_text(CONFIG)
    root, job = job_from_args(parse_args(["--config", str(tmp_path / "clickstream.yml")]))
    assert root == str(tmp_path / "data")  # relative to the config file's folder
    settings = job.settings
    expected = ("from_file", frozenset({"shop", "blog"}), "nightly")
    assert (settings.project_id, settings.app_ids, settings.job_id) == expected
    assert settings.freshness_hours == 24


def test_a_config_given_as_a_uri_is_read_through_the_filesystem_layer(tmp_path: Path) -> None:
    (tmp_path / "clickstream.yml").write_text(CONFIG.replace("home: data", "home: s3://bucket/clickstream"))
    root, job = job_from_args(parse_args(["--config", (tmp_path / "clickstream.yml").as_uri()]))
    assert root == "s3://bucket/clickstream"  # a URI home is the root as written, not a local path
    assert job.settings.project_id == "from_file"


def test_arguments_override_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "clickstream.yml").write_text(CONFIG)
    args = ["--config", str(tmp_path / "clickstream.yml"), "--root", "s3://other/prefix", "--app-ids", "shop",
            "--project-id", "override", "--job-id", "emr-run-7",
            "--process-time", "2024-05-01T10:00:00+00:00"]  # fmt: skip
    root, job = job_from_args(parse_args(args))
    settings = job.settings
    assert (root, settings.project_id, settings.app_ids, settings.job_id) == (
        "s3://other/prefix",
        "override",
        frozenset({"shop"}),
        "emr-run-7",
    )
    assert settings.process_time == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert settings.freshness_hours == 24  # what the arguments do not name still comes from the file


def test_without_a_config_the_apps_must_be_given() -> None:
    with pytest.raises(ConfigError, match="--app-ids"):
        job_from_args(parse_args(["--root", "s3://bucket/clickstream"]))


def test_a_missing_config_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yml"):
        job_from_args(parse_args(["--config", str(tmp_path / "nowhere.yml")]))


def test_an_invalid_app_id_is_reported_with_its_key() -> None:
    with pytest.raises(ConfigError, match=r"apps\.0\.id"):
        job_from_args(parse_args(["--root", "/tmp/x", "--app-ids", "9bad"]))


@pytest.mark.parametrize("value", ["yesterday", "2024-05-01T10:00:00"])
def test_a_process_time_must_be_iso_with_a_zone(value: str) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--process-time", value])

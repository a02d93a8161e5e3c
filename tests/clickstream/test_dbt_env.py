"""`clickstream dbt-env` and the profile it feeds: plain dbt logs in to each warehouse as the loader does."""

from __future__ import annotations

import json
import shlex
from argparse import Namespace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from clickstream.config import Config, parse_config
from clickstream.errors import ConfigError
from clickstream.modeling import dbt_environment, model_environment
from tests.support.cli import clickstream

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:redshift-login-AbCdEf"
COPY = {"iam_role_arn": "arn:aws:iam::123456789012:role/copy", "manifest_prefix": "s3://data/manifests/"}


def redshift(tmp_path: Path, **login: Any) -> Config:
    settings = {"type": "redshift", "redshift": {"region": "eu-west-1", "database": "events", **COPY, **login}}
    return parse_config({"data_root": "s3://data/clickstream/", "warehouse": settings}, tmp_path)


def credentials(environment: dict[str, str], target: str) -> dict[str, Any]:
    """The connection settings dbt renders from the bundled profiles.yml with ``environment`` (no connection)."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    set_from_args(Namespace(), None)
    set_invocation_context(environment)
    profile = Profile.from_raw_profiles(read_profile(str(PROJECT)), "clickstream", ProfileRenderer({}), target)
    rendered: dict[str, Any] = profile.credentials.to_dict()
    return rendered


def stubbed_secrets(secret: dict[str, Any]) -> tuple[Any, Stubber]:
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    stubber = Stubber(client)
    stubber.add_response(
        "get_secret_value",
        {"ARN": SECRET_ARN, "Name": "redshift-login", "SecretString": json.dumps(secret)},
        {"SecretId": SECRET_ARN},
    )
    stubber.activate()
    return client, stubber


def test_dbt_env_prints_exports_a_shell_can_eval(tmp_path: Path) -> None:
    (tmp_path / "clickstream.yml").write_text("home: ./home\netl: {freshness_hours: 48}\n")
    result = clickstream("--config", str(tmp_path / "clickstream.yml"), "dbt-env", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in result.stdout.splitlines())
    assert exported["CLICKSTREAM_WAREHOUSE_PATH"] == str(tmp_path / "home" / "warehouse.duckdb")
    assert exported["CLICKSTREAM_DBT_DAYS_LATE_ALLOWED"] == "2.0"
    assert exported["CLICKSTREAM_DBT_APP_TIMEZONES"] == '{"shop": "UTC"}'
    assert exported["DBT_PROFILES_DIR"] == exported["DBT_PROJECT_DIR"]
    assert exported["DBT_TARGET_PATH"] == str(tmp_path / "home" / "dbt" / "target")


def test_no_freshness_limit_exports_an_empty_late_limit_that_keeps_every_event(tmp_path: Path) -> None:
    config = parse_config({"etl": {"freshness_hours": None}}, tmp_path)
    assert dbt_environment(config)["CLICKSTREAM_DBT_DAYS_LATE_ALLOWED"] == ""


def test_plain_dbt_opens_duckdb_once_and_only_clickstream_model_waits_for_a_lock(tmp_path: Path) -> None:
    config = parse_config({}, tmp_path)
    assert credentials(dbt_environment(config), "duckdb").get("retries") is None
    assert credentials(model_environment(config), "duckdb")["retries"]["connect_attempts"] == 5


def test_a_cluster_with_a_db_user_logs_in_with_iam_temporary_credentials(tmp_path: Path) -> None:
    environment = dbt_environment(redshift(tmp_path, cluster_identifier="analytics", db_user="loader"))
    rendered = credentials(
        {**environment, "REDSHIFT_HOST": "analytics.abc.eu-west-1.redshift.amazonaws.com"}, "redshift"
    )
    assert {key: rendered[key] for key in ("method", "cluster_id", "user", "region", "database", "is_serverless")} == {
        "method": "iam", "cluster_id": "analytics", "user": "loader", "region": "eu-west-1", "database": "events",
        "is_serverless": False,
    }  # fmt: skip


def test_a_workgroup_without_a_secret_logs_in_as_the_callers_iam_identity(tmp_path: Path) -> None:
    rendered = credentials(dbt_environment(redshift(tmp_path, workgroup_name="analytics")), "redshift")
    assert (rendered["method"], rendered["is_serverless"], rendered["serverless_work_group"]) == (
        "iam_role", True, "analytics"
    )  # fmt: skip
    assert rendered.get("cluster_id") is None


def test_a_secret_gives_dbt_the_user_password_and_host_it_holds(tmp_path: Path) -> None:
    login = {
        "username": "modeller",
        "password": "s3cr'et",
        "host": "wg.123.eu-west-1.redshift-serverless.amazonaws.com",
    }
    client, stubber = stubbed_secrets(login)
    environment = dbt_environment(redshift(tmp_path, workgroup_name="wg", secret_arn=SECRET_ARN), client)
    stubber.assert_no_pending_responses()
    rendered = credentials(environment, "redshift")
    assert {key: rendered[key] for key in ("method", "user", "password", "host")} == {
        "method": "database", "user": "modeller", "password": "s3cr'et", "host": login["host"],
    }  # fmt: skip


def test_a_secret_without_a_password_is_a_config_error_naming_it(tmp_path: Path) -> None:
    client, _ = stubbed_secrets({"username": "modeller"})
    with pytest.raises(
        ConfigError, match=r"warehouse\.redshift\.secret_arn: the secret .* has no username and password"
    ):
        dbt_environment(redshift(tmp_path, cluster_identifier="analytics", secret_arn=SECRET_ARN), client)


def test_athena_takes_the_warehouse_region_and_the_accounts_work_group_and_result_location(tmp_path: Path) -> None:
    config = parse_config(
        {"data_root": "s3://data/x/", "warehouse": {"type": "athena", "athena": {"region": "eu-central-1"}}}, tmp_path
    )
    account = {"ATHENA_WORK_GROUP": "analysts", "ATHENA_S3_STAGING_DIR": "s3://results/", "AWS_PROFILE": "prod"}
    rendered = credentials({**dbt_environment(config), **account}, "athena")
    assert {key: rendered[key] for key in ("region_name", "work_group", "s3_staging_dir", "aws_profile_name")} == {
        "region_name": "eu-central-1", "work_group": "analysts", "s3_staging_dir": "s3://results/",
        "aws_profile_name": "prod",
    }  # fmt: skip
    assert dbt_environment(config)["CLICKSTREAM_DBT_TARGET"] == "athena"

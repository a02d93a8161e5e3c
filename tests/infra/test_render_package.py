"""`render`, `package` and the containers' config entry point, on real configurations and files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from clickstream.config import parse_config
from clickstream.errors import ConfigError
from clickstream.infra.container_config import compose
from clickstream.infra.layers import containers
from clickstream.infra.package import package
from clickstream.infra.render import render
from clickstream.infra.templates_io import ROOT_TEMPLATE, parse_template
from tests.support.cli import clickstream

NETWORK = {
    "artifact_bucket": "my-artifacts",
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr": "10.0.0.0/16",
    "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"],
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/clickstream:1.0",
    "spark_image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/clickstream:emr-1.0",
}


def _config(tmp_path: Path, **infra: object):
    data = {
        "home": str(tmp_path / "home"),
        "apps": [{"id": "shop", "timezone": "Asia/Tokyo"}],
        "ingestion": {"sink": "s3", "s3": {"bucket": "local-raw"}, "max_body_bytes": 500000},
        "etl": {"freshness_hours": 48, "enrichment": {"geo_database": "GeoLite2-City.mmdb"}},
        "infra": {**NETWORK, **infra},
    }
    return parse_config(data, tmp_path)


def test_render_writes_every_template_and_the_parameters_a_deploy_needs(tmp_path):
    rendered = render(_config(tmp_path))
    out = tmp_path / "home" / "infra"
    assert sorted(path.name for path in (out / "templates").iterdir()) == sorted(rendered.templates)
    parameters = {
        item["ParameterKey"]: item["ParameterValue"] for item in json.loads((out / "parameters.json").read_text())
    }
    assert rendered.missing == []
    assert parameters["PrivateSubnetIds"] == ",".join(NETWORK["private_subnet_ids"])
    assert parameters["SinkType"] == "S3" and parameters["Warehouse"] == "Redshift"
    declared = parse_template(rendered.templates[ROOT_TEMPLATE])["Parameters"]
    assert set(parameters) <= set(declared)


def test_render_without_the_network_lists_what_is_missing(tmp_path):
    config = parse_config({"home": str(tmp_path)}, tmp_path)
    rendered = render(config)
    assert {"VpcId", "PrivateSubnetIds", "ImageUri", "ArtifactBucket"} <= set(rendered.missing)


def test_the_base_config_keeps_the_users_settings_and_drops_what_the_stacks_decide(tmp_path):
    rendered = render(_config(tmp_path))
    base = yaml.safe_load(rendered.base_config_text)
    assert base["apps"] == [{"id": "shop", "timezone": "Asia/Tokyo"}]
    assert base["ingestion"] == {"max_body_bytes": 500000}
    assert base["etl"]["freshness_hours"] == 48
    assert "home" not in base and "infra" not in base
    assert "geo_database" not in base["etl"].get("enrichment", {})
    assert any("geo_database" in warning for warning in rendered.warnings)


def test_a_changed_setting_changes_the_config_key_and_nothing_else(tmp_path):
    first = render(_config(tmp_path), tmp_path / "a")
    data = _config(tmp_path).model_dump(mode="json", by_alias=True, exclude_unset=True)
    data["etl"]["freshness_hours"] = 24
    second = render(parse_config(data, tmp_path), tmp_path / "b")
    assert first.keys.base_config != second.keys.base_config
    assert first.keys.spark_code == second.keys.spark_code
    assert first.keys.template_prefix == second.keys.template_prefix


def test_unknown_template_parameters_are_refused_by_name(tmp_path):
    with pytest.raises(ConfigError, match=r"infra.parameters.IngestionMaxTask: not a parameter"):
        render(_config(tmp_path, parameters={"IngestionMaxTask": 3}))
    rendered = render(_config(tmp_path, parameters={"IngestionMaxTasks": 30}))
    assert rendered.parameters["IngestionMaxTasks"] == "30"


def test_the_infra_section_names_the_key_and_the_fix(tmp_path):
    with pytest.raises(ConfigError, match=r"infra.private_subnet_ids: subnet-1: not a subnet id"):
        parse_config({"infra": {"private_subnet_ids": ["subnet-1"]}}, tmp_path)
    with pytest.raises(ConfigError, match=r"infra: .*studio: true needs certificate_arn and studio_domain"):
        parse_config({"infra": {"studio": True}}, tmp_path)


def test_package_builds_artefacts_whose_names_are_the_keys_the_stack_gets(tmp_path):
    packaged = package(_config(tmp_path, sink="kinesis", warehouse="athena"), tmp_path / "build")
    out = packaged.out_dir
    keys = packaged.rendered.keys
    params = packaged.rendered.parameters
    assert params["SparkCodeKey"] == keys.spark_code and params["SparkEntryKey"] == keys.spark_entry
    assert params["BaseConfigKey"] == keys.base_config and params["TemplateKeyPrefix"] == keys.template_prefix
    for key in (keys.spark_code, keys.spark_entry, keys.base_config, packaged.dbt_bundle_key):
        assert (out / "artifacts" / Path(key).name).is_file(), key
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spark_code"]["key"] == keys.spark_code
    assert (out / "image" / "Dockerfile").is_file() and (out / "image" / "dbt_project" / "dbt_project.yml").is_file()
    assert (out / "image" / "infra" / "templates" / "main.yaml").is_file()
    with tarfile.open(out / "image.tar.gz") as archive:
        assert "image/Dockerfile" in archive.getnames()
    requirements = (out / "emr-image" / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("pyarrow==") for line in requirements)
    assert not any(line.startswith("dbt-") for line in requirements)
    # mapInArrow and pandas_udf need pandas on the workers; pyspark is EMR's own.
    assert any(line.startswith("pandas==") for line in requirements)
    assert not any(line.startswith("pyspark") for line in requirements)
    assert "python3.11" in (out / "emr-image" / "Dockerfile").read_text()


def test_package_is_reproducible(tmp_path):
    first = package(_config(tmp_path), tmp_path / "a")
    second = package(_config(tmp_path), tmp_path / "b")
    assert first.rendered.spark_code == second.rendered.spark_code
    assert first.dbt_bundle_key == second.dbt_bundle_key


def test_the_spark_zip_runs_the_etl_code_and_finds_its_plugins_and_rules(tmp_path):
    """Import from the zip alone (the checkout hidden), as --py-files does on EMR."""
    rendered = render(_config(tmp_path))
    archive = tmp_path / "code.zip"
    archive.write_bytes(rendered.spark_code)
    names = zipfile.ZipFile(archive).namelist()
    assert "clickstream/etl/spark_runner.py" in names and any(
        name.endswith(".dist-info/entry_points.txt") for name in names
    )
    probe = (
        "import sys; sys.path = [p for p in sys.path if 'wt-infra' not in p or 'site-packages' in p];"
        f"sys.path.insert(0, {str(archive)!r});"
        "import importlib.metadata as m, clickstream.etl.spark_runner, clickstream.etl.enrich.traffic_source as t;"
        "assert clickstream.etl.spark_runner.__file__.startswith(sys.path[0]), clickstream.etl.spark_runner.__file__;"
        "names = {e.name for e in m.entry_points(group='clickstream.etl_plugins')};"
        "assert {'user_agent', 'geo_ip', 'traffic_source'} <= names, names;"
        "print('ok')"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize("sink", ["s3", "kinesis", "msk"])
@pytest.mark.parametrize("warehouse", ["redshift", "athena"])
@pytest.mark.parametrize("sign_in", ["cognito", "oidc"])
def test_the_composed_container_config_is_valid_for_each_choice(tmp_path, sink, warehouse, sign_in):
    """The base config with every layer the templates give each container (taken from the templates)."""
    config = _config(tmp_path, sink=sink, warehouse=warehouse)
    rendered = render(config)
    chosen = containers(sink, warehouse, sign_in, studio=True)
    assert [container.template for container in chosen][:2] == ["ingestion.yaml", "modeling.yaml"]
    for container in chosen:
        merged = compose(rendered.base_config_text, *container.layers)
        assert merged["ingestion"]["max_body_bytes"] == 500000  # the user's setting survives every layer
        assert merged["home"] == "/data" and merged["data_root"] == "s3://example-data/clickstream/"
    collector = compose(rendered.base_config_text, *chosen[0].layers)
    assert collector["ingestion"]["sink"] == {"s3": "s3", "kinesis": "kinesis", "msk": "kafka"}[sink]
    modeling = compose(rendered.base_config_text, *chosen[1].layers)
    assert modeling["warehouse"]["type"] == warehouse and modeling["dbt"]["target"] == warehouse


def test_the_msk_sink_keeps_the_users_producer_settings_and_defaults_to_tls(tmp_path):
    data = _config(tmp_path, sink="msk").model_dump(mode="json", by_alias=True, exclude_unset=True)
    data["ingestion"] = {
        "sink": "kafka",
        "kafka": {"bootstrap_servers": "localhost:9092", "topic": "t", "settings": {"compression.type": "zstd"}},
    }
    collector = containers("msk", "redshift")[0]
    merged = compose(render(parse_config(data, tmp_path)).base_config_text, *collector.layers)
    assert merged["ingestion"]["kafka"]["settings"] == {"security.protocol": "SSL", "compression.type": "zstd"}
    assert merged["ingestion"]["kafka"]["bootstrap_servers"].endswith(":9094")  # the stack's, not localhost
    data["ingestion"]["kafka"]["settings"] = {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512"}
    merged = compose(render(parse_config(data, tmp_path)).base_config_text, *collector.layers)
    assert merged["ingestion"]["kafka"]["settings"]["security.protocol"] == "SASL_SSL"


def test_a_kafka_section_is_left_out_of_the_base_when_the_stack_uses_another_sink(tmp_path):
    data = _config(tmp_path, sink="kinesis").model_dump(mode="json", by_alias=True, exclude_unset=True)
    data["ingestion"] = {"sink": "kafka", "kafka": {"bootstrap_servers": "b:9092", "topic": "t"}}
    rendered = render(parse_config(data, tmp_path))
    assert "kafka" not in yaml.safe_load(rendered.base_config_text).get("ingestion", {})


def test_every_container_command_is_a_real_cli_command(tmp_path):
    commands = {command for container in containers("s3", "redshift", studio=True) for command in container.commands}
    assert {command[:2] for command in commands} >= {("clickstream", "serve"), ("clickstream", "load"),
                                                     ("clickstream", "model"), ("clickstream", "studio")}  # fmt: skip
    for command in sorted(commands):
        assert command[0] == "clickstream"
        # Options are parsed before --help acts: a misspelt option fails here too.
        result = clickstream(*command[1:], "--help", cwd=tmp_path)
        assert result.returncode == 0, (command, result.stdout + result.stderr)


def test_a_broken_override_stops_the_container_with_the_key(tmp_path):
    rendered = render(_config(tmp_path))
    with pytest.raises(ConfigError, match=r"ingestion.kinesis is required"):
        compose(
            rendered.base_config_text, ("CLICKSTREAM_CONFIG_OVERRIDES", json.dumps({"ingestion": {"sink": "kinesis"}}))
        )
    with pytest.raises(ConfigError, match=r"\$CLICKSTREAM_CONFIG_OVERRIDES_STUDIO is not JSON"):
        compose(rendered.base_config_text, ("CLICKSTREAM_CONFIG_OVERRIDES_STUDIO", "{sink: s3"))


def test_the_entry_point_writes_the_config_and_runs_the_command_with_it(tmp_path):
    base = tmp_path / "base.yml"
    base.write_text("apps:\n  - id: shop\n")
    env = {
        **os.environ,
        "CLICKSTREAM_BASE_CONFIG": str(base),
        "CLICKSTREAM_CONFIG_OVERRIDES": json.dumps({"ingestion": {"port": 9999, "host": "0.0.0.0"}}),
        "CLICKSTREAM_CONFIG_OVERRIDES_LATER": json.dumps({"ingestion": {"port": 9998}}),
        "CLICKSTREAM_COMPOSED_CONFIG": str(tmp_path / "out" / "clickstream.yml"),
    }
    command = "import os; print(open(os.environ['CLICKSTREAM_CONFIG']).read())"
    result = subprocess.run(
        [sys.executable, "-m", "clickstream.infra.container_config", "--", sys.executable, "-c", command],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The named layer comes after the plain one and wins where they overlap.
    assert yaml.safe_load(result.stdout) == {"apps": [{"id": "shop"}], "ingestion": {"port": 9998, "host": "0.0.0.0"}}


def test_the_cli_renders_and_packages_offline(tmp_path):
    config = tmp_path / "clickstream.yml"
    config.write_text(yaml.safe_dump({"home": str(tmp_path / "home"), "infra": NETWORK}))
    for command in ("render", "package"):
        result = clickstream("-c", str(config), "infra", command, "-o", str(tmp_path / "b"), cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "b" / "manifest.json").is_file()


def test_an_s3_data_root_gives_its_prefix_to_the_stack_and_a_warning(tmp_path):
    data = _config(tmp_path).model_dump(mode="json", by_alias=True, exclude_unset=True)
    data["data_root"] = "s3://old-bucket/events/prod"
    rendered = render(parse_config(data, tmp_path))
    assert rendered.parameters["DataPrefix"] == "events/prod/"
    assert any("old-bucket" in warning for warning in rendered.warnings)


def _entry_point(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clickstream.infra.container_config", "--", sys.executable, "-c", command],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip


def test_the_entry_point_ignores_an_unwritable_image_config_and_points_the_command_at_its_own(tmp_path):
    """The image's $CLICKSTREAM_CONFIG is root's file; the composed one goes to /tmp (or its own variable)."""
    base = tmp_path / "base.yml"
    base.write_text("apps:\n  - id: shop\n")
    # Under a regular file: nobody, not even root (CI), can write there.
    blocker = tmp_path / "etc"
    blocker.write_text("not a folder")
    baked = blocker / "clickstream.yml"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("CLICKSTREAM_")},
        "CLICKSTREAM_BASE_CONFIG": str(base),
        "CLICKSTREAM_CONFIG": str(baked),
        "CLICKSTREAM_COMPOSED_CONFIG": str(tmp_path / "composed.yml"),
    }
    result = _entry_point(env, "import os; print(os.environ['CLICKSTREAM_CONFIG'])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "composed.yml")
    assert yaml.safe_load((tmp_path / "composed.yml").read_text()) == {"apps": [{"id": "shop"}]}


def test_an_unwritable_composed_config_path_stops_the_container_with_a_clear_message(tmp_path):
    base = tmp_path / "base.yml"
    base.write_text("apps:\n  - id: shop\n")
    blocker = tmp_path / "locked"
    blocker.write_text("a file, so nothing can be written beneath it (even by root, as in CI)")
    env = {
        **os.environ,
        "CLICKSTREAM_BASE_CONFIG": str(base),
        "CLICKSTREAM_COMPOSED_CONFIG": str(blocker / "clickstream.yml"),
    }
    result = _entry_point(env, "print('ran')")
    assert result.returncode == 2 and "ran" not in result.stdout
    assert "cannot write the composed configuration" in result.stderr
    assert "CLICKSTREAM_COMPOSED_CONFIG" in result.stderr


def test_a_missing_base_config_stops_the_container_with_its_location(tmp_path):
    env = {**os.environ, "CLICKSTREAM_BASE_CONFIG": str(tmp_path / "nope.yml")}
    result = _entry_point(env, "print('ran')")
    assert result.returncode == 2 and "ran" not in result.stdout
    assert f"cannot read {tmp_path / 'nope.yml'}" in result.stderr

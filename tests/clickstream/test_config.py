"""clickstream.yml: defaults for the demo, and errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from clickstream.config import CONFIG_ENV_VAR, load_config, parse_config
from clickstream.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_without_a_file_the_defaults_cover_the_demo(tmp_path: Path) -> None:
    config = load_config(environ={}, cwd=tmp_path)
    assert config.home == tmp_path / ".clickstream"
    assert config.warehouse_path == tmp_path / ".clickstream" / "warehouse.duckdb"
    assert config.warehouse.type == "duckdb"
    assert config.ingestion.path == "/collect"
    assert config.ingestion.sink == "local"
    assert config.app_ids == ["shop"]
    assert config.apps[0].timezone == "UTC"


def test_clickstream_yml_in_the_working_directory_is_read(tmp_path: Path) -> None:
    write(tmp_path / "clickstream.yml", "project_id: web_shop\napps:\n  - id: app1\n    timezone: Asia/Tokyo\n")
    config = load_config(environ={}, cwd=tmp_path)
    assert config.project_id == "web_shop"
    assert [(app.id, app.timezone) for app in config.apps] == [("app1", "Asia/Tokyo")]


def test_the_environment_variable_beats_the_working_directory(tmp_path: Path) -> None:
    write(tmp_path / "clickstream.yml", "project_id: from_cwd\n")
    other = write(tmp_path / "other.yml", "project_id: from_env\n")
    assert load_config(environ={CONFIG_ENV_VAR: str(other)}, cwd=tmp_path).project_id == "from_env"


def test_an_explicit_path_beats_the_environment_variable(tmp_path: Path) -> None:
    env_file = write(tmp_path / "env.yml", "project_id: from_env\n")
    explicit = write(tmp_path / "explicit.yml", "project_id: explicit\n")
    config = load_config(explicit, environ={CONFIG_ENV_VAR: str(env_file)}, cwd=tmp_path)
    assert config.project_id == "explicit"


def test_relative_paths_resolve_against_the_config_file_folder(tmp_path: Path) -> None:
    folder = tmp_path / "deploy"
    folder.mkdir()
    path = write(folder / "clickstream.yml", "home: data\nwarehouse:\n  path: wh/main.duckdb\n")
    config = load_config(path, environ={}, cwd=tmp_path)
    assert config.home == folder / "data"
    assert config.warehouse_path == folder / "wh" / "main.duckdb"


def config_error(tmp_path: Path, text: str) -> str:
    """The message of the ConfigError that loading ``text`` as clickstream.yml raises."""
    path = write(tmp_path / "c.yml", text)
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    return error.value.message


def test_an_unknown_key_is_named_with_the_allowed_keys(tmp_path: Path) -> None:
    message = config_error(tmp_path, "ingestion:\n  prot: 9000\n")
    assert "ingestion.prot: unknown key" in message
    assert "port" in message


def test_a_bad_choice_names_the_key_and_the_allowed_values(tmp_path: Path) -> None:
    message = config_error(tmp_path, "warehouse:\n  type: snowflake\n")
    assert "warehouse.type" in message
    assert "'duckdb'" in message


def test_an_unknown_timezone_is_refused_with_an_example(tmp_path: Path) -> None:
    message = config_error(tmp_path, "apps:\n  - id: shop\n    timezone: Mars/Olympus\n")
    assert "apps.0.timezone" in message
    assert "Asia/Tokyo" in message


def test_an_app_listed_twice_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yml", "apps:\n  - id: shop\n  - id: shop\n")
    with pytest.raises(ConfigError, match="app id listed twice: shop"):
        load_config(path, environ={})


def test_a_port_out_of_range_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yml", "ingestion:\n  port: 70000\n")
    with pytest.raises(ConfigError, match=r"ingestion\.port"):
        load_config(path, environ={})


def test_invalid_yaml_is_reported_as_such(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yml", "apps: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path, environ={})


def test_a_missing_file_is_reported_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yml", environ={})


def test_a_trusted_proxy_that_is_not_an_address_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yml", "ingestion:\n  trusted_proxies: [loadbalancer]\n")
    with pytest.raises(ConfigError, match=r"ingestion\.trusted_proxies: 'loadbalancer' is not an IP address"):
        load_config(path, environ={})


def test_an_s3_home_is_refused_with_the_key_that_takes_s3(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"home: .*'s3://bucket/x' is not a local folder.*data_root: s3://"):
        parse_config({"home": "s3://bucket/x"}, tmp_path)


def test_a_relative_data_root_folder_resolves_against_the_config_file(tmp_path: Path) -> None:
    config = parse_config({"data_root": "lake"}, tmp_path)
    assert config.storage_root == str(tmp_path / "lake")


ATHENA = {"data_root": "s3://data/clickstream/", "warehouse": {"type": "athena", "athena": {"database": "events"}}}


def test_dbt_models_the_warehouse_type_when_dbt_target_is_unset(tmp_path: Path) -> None:
    assert parse_config({}, tmp_path).dbt_target == "duckdb"
    athena = parse_config(ATHENA, tmp_path)
    assert (athena.dbt_target, athena.dbt.target) == ("athena", "athena")


def test_a_dbt_target_equal_to_the_warehouse_type_is_accepted(tmp_path: Path) -> None:
    assert parse_config({**ATHENA, "dbt": {"target": "athena", "threads": 3}}, tmp_path).dbt_target == "athena"


def test_a_dbt_target_other_than_the_warehouse_type_is_refused_naming_both_keys_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yml", "warehouse:\n  type: duckdb\ndbt:\n  target: athena\n")
    with pytest.raises(
        ConfigError, match=r"dbt\.target \(athena\) disagrees with warehouse\.type \(duckdb\)"
    ) as raised:
        load_config(path, environ={})
    assert "remove dbt.target" in raised.value.message

"""The command line: helpful help, and one clear line plus a hint for a bad config."""

from __future__ import annotations

from pathlib import Path

import pytest

from clickstream.cli.pipeline import etl_step
from clickstream.config import parse_config
from clickstream.etl import native
from tests.support.cli import clickstream


def test_help_lists_every_stage(tmp_path: Path) -> None:
    result = clickstream("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "simulate", "etl", "load", "model", "run", "demo"):
        assert command in result.stdout


def test_a_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "clickstream.yml").write_text("warehouse:\n  type: oracle\n")
    result = clickstream("etl", cwd=tmp_path)
    assert result.returncode == 2
    assert "warehouse.type" in result.stderr and "duckdb" in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_etl_and_load_on_an_empty_home_report_nothing_to_do(tmp_path: Path) -> None:
    etl = clickstream("etl", cwd=tmp_path)
    load = clickstream("load", cwd=tmp_path)
    assert etl.returncode == 0 and "0 of 0 new raw files processed" in etl.stdout
    # Rich wraps long lines: compare without whitespace
    assert f"nonewrawfilesunder{tmp_path / '.clickstream' / 'raw'}" in "".join(etl.stdout.split())
    assert load.returncode == 0 and "0 new files" in load.stdout


def test_simulate_to_raw_then_etl_processes_the_files(tmp_path: Path) -> None:
    simulate = clickstream("simulate", "--users", "5", "--days", "1", "--to-raw", cwd=tmp_path)
    assert simulate.returncode == 0, simulate.stderr
    etl = clickstream("etl", cwd=tmp_path)
    assert "1 of 1 new raw files processed" in etl.stdout
    assert "rejected: none" in etl.stdout


def test_etl_says_when_the_compiled_converter_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = parse_config({"home": str(tmp_path), "apps": [{"id": "shop"}]}, tmp_path)
    etl_step(config)
    assert "compiled converter" not in capsys.readouterr().out  # `make` builds it
    monkeypatch.setattr(native, "NATIVE", False)
    etl_step(config)
    assert "compiled converter (clickstream.etl._columns) is off" in capsys.readouterr().out


def test_no_command_shows_the_help_and_exits_2_without_a_traceback(tmp_path: Path) -> None:
    result = clickstream(cwd=tmp_path)
    assert result.returncode == 2
    assert "Commands" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = clickstream("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"clickstream {version('clickstream-analytics')}"


def test_the_config_option_after_the_command_is_a_usage_error_with_a_hint(tmp_path: Path) -> None:
    result = clickstream("etl", "--config", "x.yml", cwd=tmp_path)
    assert result.returncode == 2
    assert "No such option: --config" in result.stderr
    assert "clickstream --config FILE etl" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    result = clickstream("deploy", cwd=tmp_path)
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def test_model_before_any_load_says_to_load_first(tmp_path: Path) -> None:
    result = clickstream("model", cwd=tmp_path)
    assert result.returncode == 1
    assert "has no loaded tables yet" in result.stderr and "clickstream load" in result.stderr
    assert "Catalog Error" not in result.stdout + result.stderr


@pytest.mark.parametrize(("command", "setting"), [("serve", "ingestion.port"), ("studio", "studio.port")])
def test_a_busy_port_is_one_line_naming_it_and_the_setting(tmp_path: Path, command: str, setting: str) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = clickstream(command, "--host", "127.0.0.1", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use by another program" in result.stderr
    assert setting in result.stderr
    assert "Traceback" not in result.stderr


def test_run_every_under_ten_seconds_is_refused_unless_forced(tmp_path: Path) -> None:
    result = clickstream("run", "--every", "5", cwd=tmp_path)
    assert result.returncode == 2
    assert "under 10 seconds" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_cycle_longer_than_the_interval_is_reported(tmp_path: Path) -> None:
    # a whole cycle (etl, load, dbt build) takes seconds, far over 0.1 s
    result = clickstream("run", "--every", "0.1s", "--force", "--max-cycles", "1", cwd=tmp_path)
    assert "longer than the interval (0.1s)" in " ".join(result.stdout.split())
    assert "Traceback" not in result.stderr

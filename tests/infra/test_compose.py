"""docker-compose.yml: valid for Debian's docker-compose, and every service runs a command the CLI accepts."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import typer.main
import yaml
from typer.core import TyperGroup

from clickstream.cli import app
from clickstream.cli.app import MIN_EVERY_SECONDS
from clickstream.pipeline.intervals import parse_interval
from tests.support.paths import REPO

COMPOSE_FILE = REPO / "docker-compose.yml"
SERVICES = ("collector", "scheduler", "studio")


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return document


def service_command(name: str) -> list[str]:
    command: list[str] = compose()["services"][name]["command"]
    return command


def parsed(command: list[str]) -> dict[str, Any]:
    """The options ``clickstream <command>`` receives, parsed by the installed CLI (raises on a usage error)."""
    assert command[0] == "clickstream"
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)  # the CLI has subcommands
    root = group.make_context("clickstream", [*command[1:]], resilient_parsing=True)
    subcommand = group.get_command(root, command[1])
    assert subcommand is not None, f"no command {command[1]!r}"
    context = subcommand.make_context(command[1], command[2:], parent=root)
    return dict(context.params)


def test_docker_compose_config_accepts_the_file() -> None:
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose is missing: apt-get install docker-compose (.ci/run does)"
    done = subprocess.run(
        [docker_compose, "-f", str(COMPOSE_FILE), "config", "--quiet"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_the_stack_is_a_collector_a_scheduler_and_the_studio_on_one_volume() -> None:
    document = compose()
    assert set(document["services"]) == set(SERVICES)
    [volume] = document["volumes"]
    for name in SERVICES:
        assert f"{volume}:/data" in document["services"][name]["volumes"], name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_command_parses_with_the_cli(name: str) -> None:
    parsed(service_command(name))


def test_the_collector_listens_on_every_interface_on_the_published_port() -> None:
    options = parsed(service_command("collector"))
    assert options["host"] == "0.0.0.0"
    [published] = compose()["services"]["collector"]["ports"]
    assert published == f"{options['port']}:{options['port']}"


def test_the_scheduler_runs_a_cycle_at_an_interval_the_cli_allows_without_force() -> None:
    options = parsed(service_command("scheduler"))
    assert options["force"] is False
    assert parse_interval(options["every"]) >= MIN_EVERY_SECONDS


def test_the_studio_binds_loopback_on_the_hosts_network_as_local_sign_in_requires() -> None:
    options = parsed(service_command("studio"))
    assert options["host"] == "127.0.0.1"
    assert compose()["services"]["studio"]["network_mode"] == "host"


def test_the_scheduler_does_not_inherit_the_collectors_health_check() -> None:
    assert compose()["services"]["scheduler"]["healthcheck"] == {"disable": True}

"""Every probe answers: each health check and load-balancer path of the templates, the Dockerfile and the
compose file, called against the real collector and Studio, on the port its service's command listens on."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from typer.core import TyperGroup

from clickstream.cli import app
from clickstream.infra.templates_io import parse_template, template_texts
from tests.support.loopback import free_port
from tests.support.paths import REPO
from tests.support.serving import get, serving

pytestmark = pytest.mark.slow

URL = re.compile(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[\w/.-]*)")


@dataclass(frozen=True)
class Probe:
    where: str
    service: tuple[str, ...]  # the probed service's command, from `clickstream` on
    port: int
    path: str
    check: tuple[str, ...] = ()  # the health-check command itself (exec form), when the probe is one

    @staticmethod
    def from_check(where: str, service: list[str], check: list[str]) -> Probe:
        [(port, path)] = {match for arg in check for match in URL.findall(arg)}
        return Probe(where, tuple(service[service.index("clickstream") :]), int(port), path, tuple(check))


def template_probes() -> list[Probe]:
    probes = []
    for name, text in sorted(template_texts().items()):
        resources: dict[str, Any] = parse_template(text)["Resources"]
        containers = {
            container["Name"]: container
            for resource in resources.values()
            if resource["Type"] == "AWS::ECS::TaskDefinition"
            for container in resource["Properties"]["ContainerDefinitions"]
        }
        for container_name, container in containers.items():
            if "HealthCheck" in container:
                check = container["HealthCheck"]["Command"]
                assert check[0] == "CMD", f"{name} {container_name}: exec form, so the probe runs as written"
                where = f"{name} {container_name} health check"
                probes.append(Probe.from_check(where, container["Command"], check[1:]))
                mapped = [mapping["ContainerPort"] for mapping in container.get("PortMappings", [])]
                assert probes[-1].port in mapped, f"{where}: port {probes[-1].port} is not mapped ({mapped})"
        for resource in resources.values():
            if resource["Type"] != "AWS::ECS::Service":
                continue
            for balancer in resource["Properties"].get("LoadBalancers", []):
                group = resources[balancer["TargetGroupArn"]["Ref"]]["Properties"]
                container = containers[balancer["ContainerName"]]
                where = f"{name} {balancer['ContainerName']} load balancer"
                assert group["Port"] == balancer["ContainerPort"], where
                command = container["Command"]
                service = tuple(command[command.index("clickstream") :])
                probes.append(Probe(where, service, balancer["ContainerPort"], group["HealthCheckPath"]))
    return probes


def exec_form(line: str) -> list[str]:
    words: list[str] = json.loads(line[line.index("[") :])
    return words


def dockerfile_probes() -> list[Probe]:
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text(encoding="utf-8"))
    [healthcheck] = [line for line in text.splitlines() if line.startswith("HEALTHCHECK")]
    [command] = [line for line in text.splitlines() if line.startswith("CMD")]
    return [Probe.from_check("Dockerfile HEALTHCHECK", exec_form(command), exec_form(healthcheck))]


def compose_probes() -> list[Probe]:
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    probes = []
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        if test is not None:
            assert test[0] == "CMD", f"docker-compose.yml {name}: exec form, so the probe runs as written"
            probes.append(Probe.from_check(f"docker-compose.yml {name} healthcheck", service["command"], test[1:]))
    return probes


PROBES = template_probes() + dockerfile_probes() + compose_probes()


def listening_port(service: tuple[str, ...]) -> int:
    """The --port the service's command gives, as the installed CLI parses it."""
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)  # the CLI has subcommands
    root = group.make_context("clickstream", list(service[1:]), resilient_parsing=True)
    command = group.get_command(root, service[1])
    assert command is not None, service
    port = command.make_context(service[1], list(service[2:]), parent=root).params["port"]
    assert port is not None, f"{' '.join(service)} names no --port: the probe's port would depend on a config"
    return int(port)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """The real collector and Studio, each on a free loopback port: {command: port}."""
    folder = tmp_path_factory.mktemp("probes")
    config = folder / "clickstream.yml"
    document = {"home": str(folder / "home"), "apps": [{"id": "shop"}], "studio": {"local_password": "probe-pass"}}
    config.write_text(yaml.safe_dump(document), encoding="utf-8")
    ports = {"serve": free_port(), "studio": free_port()}
    base = [sys.executable, "-m", "clickstream", "--config", str(config)]
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(folder)}
    collector = [*base, "serve", "--host", "127.0.0.1", "--port", str(ports["serve"])]
    studio = [*base, "studio", "--host", "127.0.0.1", "--port", str(ports["studio"])]
    with (
        serving(collector, f"http://127.0.0.1:{ports['serve']}/ping", folder, env),
        serving(studio, f"http://127.0.0.1:{ports['studio']}/ping", folder, env),
    ):
        yield ports


def test_the_templates_the_dockerfile_and_the_compose_file_all_declare_probes() -> None:
    found = {probe.where for probe in PROBES}
    for where in (
        "ingestion.yaml collector health check",
        "ingestion.yaml collector load balancer",
        "studio.yaml studio health check",
        "studio.yaml studio load balancer",
        "Dockerfile HEALTHCHECK",
        "docker-compose.yml collector healthcheck",
        "docker-compose.yml studio healthcheck",
    ):
        assert where in found


@pytest.mark.parametrize("probe", PROBES, ids=[probe.where for probe in PROBES])
def test_each_probe_targets_the_port_its_service_listens_on(probe: Probe) -> None:
    assert probe.port == listening_port(probe.service)


@pytest.mark.parametrize("probe", PROBES, ids=[probe.where for probe in PROBES])
def test_each_probe_answers_from_the_real_app(probe: Probe, running: dict[str, int]) -> None:
    port = running[probe.service[1]]
    if not probe.check:
        status, body = get(f"http://127.0.0.1:{port}{probe.path}")
        assert status == 200, f"{probe.where}: {probe.path} answered {status}: {body[:200]!r}"
        return
    # The health-check command as written, pointed at the port the app runs on here.
    check = [arg.replace(f":{probe.port}/", f":{port}/") for arg in probe.check]
    executable = sys.executable if check[0] == "python" else check[0]
    done = subprocess.run([executable, *check[1:]], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"{probe.where}: {' '.join(check)}\n{done.stderr}"


@pytest.mark.parametrize("command", ["serve", "studio"])
def test_ping_answers_with_the_time_without_signing_in(command: str, running: dict[str, int]) -> None:
    status, body = get(f"http://127.0.0.1:{running[command]}/ping")
    assert status == 200
    assert json.loads(body)["timestamp"] > 1.7e12

"""The paths the deployment probes answer: the Studio's container health check and its load balancer's."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from clickstream.config import Config
from infra.templates_io import parse_template, template_texts
from studio.app import create_app
from tests.studio.conftest import LOCAL_URL

TEMPLATE = parse_template(template_texts()["studio.yaml"])


def probed_paths() -> set[str]:
    """Every path the Studio's template probes: the task's health-check command and the target group's path."""
    resources: dict[str, Any] = TEMPLATE["Resources"]
    [container] = resources["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    command = " ".join(container["HealthCheck"]["Command"])
    paths = set(re.findall(r"http://127\.0\.0\.1:8080(/[\w/]*)", command))
    paths.add(resources["TargetGroup"]["Properties"]["HealthCheckPath"])
    return paths


def test_the_template_probes_the_studio_on_its_health_path() -> None:
    assert probed_paths() == {"/health"}


def test_every_path_the_template_probes_answers_200_without_signing_in(studio_config: Config) -> None:
    client = TestClient(create_app(studio_config), base_url=LOCAL_URL)
    for path in sorted(probed_paths()):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.json()["status"] == "ok"


def test_ping_answers_with_the_time(studio_config: Config) -> None:
    answer = TestClient(create_app(studio_config), base_url=LOCAL_URL).get("/ping")
    assert answer.status_code == 200
    assert answer.json()["timestamp"] > 1.7e12

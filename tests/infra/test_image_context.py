"""The image context `clickstream infra package` writes is self-contained: it stands in for `docker build`.

No registry is reachable here, so no base image can be pulled: instead every file the Dockerfiles copy must
be in the context, and the context's package, built and installed as the Dockerfile's two stages do (a
wheel, then ``pip install`` of it) into a fresh venv, answers the commands the containers run.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from clickstream.config import parse_config
from clickstream.infra.package import package
from tests.support.installs import build_wheel, environment, fresh_venv, pip_install, run
from tests.support.loopback import free_port
from tests.support.paths import REPO
from tests.support.serving import get, serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("package")
    config = parse_config({"home": str(folder / "home"), "apps": [{"id": "shop"}]}, folder)
    return package(config, folder / "build").out_dir


@pytest.fixture(scope="module")
def context(out: Path) -> Path:
    return out / "image"


@pytest.fixture(scope="module")
def venv(context: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Dockerfile's stages on this machine: a wheel of the context, installed into a fresh venv."""
    work = tmp_path_factory.mktemp("image-venv")
    wheel = build_wheel(context, work / "wheels")
    folder = fresh_venv(work / "venv")
    pip_install(folder, wheel)
    yield folder


@pytest.fixture
def workdir(tmp_path: Path, context: Path) -> Path:
    """A working folder with the image's config, its home moved from /data to here."""
    document = yaml.safe_load((context / "docker" / "clickstream.yml").read_text(encoding="utf-8"))
    document["home"] = str(tmp_path / "data")
    (tmp_path / "clickstream.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return tmp_path


def copy_sources(dockerfile: Path) -> list[str]:
    """The context paths of every COPY/ADD that does not copy from a build stage."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    sources = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0].upper() in ("COPY", "ADD") and not any(w.startswith("--from") for w in words):
            sources += [word for word in words[1:-1] if not word.startswith("--")]
    return sources


@pytest.mark.parametrize("image", ["image", "emr-image"])
def test_every_file_a_dockerfile_copies_is_in_its_context(out: Path, image: str) -> None:
    sources = copy_sources(out / image / "Dockerfile")
    assert sources
    missing = [source for source in sources if not (out / image / source).exists()]
    assert not missing, f"{image}/Dockerfile copies what its context lacks: {missing}"


def test_the_repositorys_dockerfile_is_the_contexts(context: Path) -> None:
    assert (context / "Dockerfile").read_text() == (REPO / "Dockerfile").read_text()
    missing = [source for source in copy_sources(REPO / "Dockerfile") if not (REPO / source).exists()]
    assert not missing


def test_the_context_holds_no_local_state_or_build_output(context: Path) -> None:
    leftovers = [
        path.relative_to(context).as_posix()
        for path in context.rglob("*")
        if path.name in ("__pycache__", "target", ".venv", "build")
        or path.suffix in (".so", ".pyc", ".duckdb")
        or path.name.endswith(".egg-info")
    ]
    assert not leftovers


def test_the_installed_context_answers_help(venv: Path, workdir: Path) -> None:
    output = run(["clickstream", "--help"], workdir, environment(venv, COLUMNS="200"))
    for command in ("serve", "run", "studio", "model"):
        assert command in output


def test_the_installed_context_serves_the_collector_and_its_health_route(venv: Path, workdir: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/health"
    command = ["clickstream", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, url, workdir, environment(venv)):
        status, _ = get(url)
    assert status == 200


def test_the_installed_context_serves_the_studio_and_its_health_route(venv: Path, workdir: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/health"
    command = ["clickstream", "studio", "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, url, workdir, environment(venv)):
        status, body = get(url)
    assert status == 200 and b'"ok"' in body


def test_the_installed_context_runs_a_pipeline_cycle(venv: Path, workdir: Path) -> None:
    env = environment(venv, COLUMNS="200")
    run(["clickstream", "simulate", "--users", "2", "--days", "1", "--to-raw"], workdir, env)
    run(["clickstream", "run", "--every", "10s", "--max-cycles", "1"], workdir, env, timeout=900)
    with duckdb.connect(str(workdir / "data" / "warehouse.duckdb"), read_only=True) as warehouse:
        [(events,)] = warehouse.execute("select count(*) from analytics.fct_events").fetchall()
    assert events > 0

"""The wheel is the product: built from the checkout, installed in a fresh venv, it runs the demo anywhere."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import pytest

from clickstream import __version__
from tests.support.installs import (
    REPO,
    build_wheel,
    copy_checkout,
    environment,
    fresh_venv,
    outside_checkout,
    pip_install,
    run,
)

pytestmark = pytest.mark.slow

# Package data by kind: (folder in the checkout, where the wheel holds it, which files).
PACKAGE_DATA = {
    "dbt project": ("dbt_project", "clickstream/dbt_project", ("**/*.sql", "**/*.yml", "**/*.md")),
    "rule tables": ("etl/enrich/rules", "clickstream/etl/enrich/rules", ("*.json", "LICENSE", "NOTICE.txt")),
    "web assets": ("clickstream/web_assets", "clickstream/web_assets", ("*.js", "ECHARTS-*")),
    "dashboard specs": ("quicksight/spec/specs", "clickstream/quicksight/spec/specs", ("*.yml",)),
    "dashboard assets": ("quicksight/offline/assets", "clickstream/quicksight/offline/assets", ("*",)),
    "studio pages": ("studio/static", "clickstream/studio/static", ("*",)),
    "infra templates": ("infra/templates", "clickstream/infra/templates", ("*.yaml",)),
}
# dbt's own output in the checkout (run from dbt_project/ by analysts) never ships.
DBT_OUTPUT = ("target", "logs", "dbt_packages")


def checkout_files(folder: str, patterns: tuple[str, ...]) -> set[str]:
    root = REPO / folder
    return {
        path.relative_to(root).as_posix()
        for pattern in patterns
        for path in root.glob(pattern)
        if path.is_file() and not set(path.relative_to(root).parts) & {*DBT_OUTPUT, "__pycache__"}
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = copy_checkout(work / "source")
    # An analyst's dbt run leaves its output in the project folder: the wheel must leave it out.
    (source / "dbt_project" / "target" / "compiled").mkdir(parents=True, exist_ok=True)
    (source / "dbt_project" / "target" / "compiled" / "leftover.sql").write_text("select 1\n")
    (source / "dbt_project" / "logs").mkdir(exist_ok=True)
    (source / "dbt_project" / "logs" / "dbt.log").write_text("leftover\n")
    return build_wheel(source, work / "dist")


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = fresh_venv(tmp_path_factory.mktemp("venv") / "venv")
    pip_install(folder, wheel)
    yield folder


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working folder outside the checkout, with no clickstream.yml."""
    assert outside_checkout(tmp_path)
    return tmp_path


def installed_project(venv: Path, cwd: Path) -> Path:
    code = "from clickstream.bundled import dbt_project; print(dbt_project())"
    return Path(run(["python", "-c", code], cwd, environment(venv)).strip())


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if "__pycache__" not in path.parts
    }


@pytest.mark.parametrize("kind", sorted(PACKAGE_DATA))
def test_the_wheel_holds_every_file_of_each_kind_of_package_data(kind: str, wheel_names: set[str]) -> None:
    folder, prefix, patterns = PACKAGE_DATA[kind]
    expected = checkout_files(folder, patterns)
    assert expected, f"nothing of {kind} in the checkout's {folder}"
    missing = {name for name in expected if f"{prefix}/{name}" not in wheel_names}
    assert not missing, f"{kind} missing from the wheel: {sorted(missing)}"


def test_the_wheel_leaves_out_dbt_output_and_compiled_leftovers(wheel_names: set[str]) -> None:
    project = [name.split("/")[2:] for name in wheel_names if name.startswith("clickstream/dbt_project/")]
    assert not [parts for parts in project if set(parts) & set(DBT_OUTPUT)]
    assert not [name for name in wheel_names if name.endswith((".pyc", ".duckdb"))]


def test_the_wheel_requires_the_geoip_database_package(wheel: Path, wheel_names: set[str]) -> None:
    with zipfile.ZipFile(wheel) as archive:
        [metadata] = [name for name in wheel_names if name.endswith(".dist-info/METADATA")]
        headers = Parser().parsestr(archive.read(metadata).decode())
    assert any(requirement.startswith("maxminddb-geolite2") for requirement in headers.get_all("Requires-Dist", []))


def test_the_wheel_installs_one_import_package(wheel: Path, wheel_names: set[str]) -> None:
    [top_level] = [name for name in wheel_names if name.endswith(".dist-info/top_level.txt")]
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(top_level).decode().split() == ["clickstream"]
    roots = {name.split("/")[0] for name in wheel_names}
    assert {root for root in roots if not root.endswith(".dist-info")} == {"clickstream"}


def test_the_installed_package_is_the_wheel_and_not_the_checkout(venv: Path, elsewhere: Path) -> None:
    code = "import clickstream.etl as e, clickstream.studio as s; print(e.__file__, s.__file__)"
    for module_file in run(["python", "-c", code], elsewhere, environment(venv)).split():
        assert Path(module_file).is_relative_to(venv)
    assert installed_project(venv, elsewhere).is_relative_to(venv)


def test_clickstream_version_prints_the_version(venv: Path, elsewhere: Path) -> None:
    assert run(["clickstream", "--version"], elsewhere, environment(venv)).strip() == f"clickstream {__version__}"


def test_the_demo_runs_from_the_installed_wheel_outside_the_checkout(venv: Path, elsewhere: Path) -> None:
    project = installed_project(venv, elsewhere)
    before = snapshot(project)
    output = run(
        ["clickstream", "demo", "--users", "3", "--days", "1", "--dir", "demo"],
        elsewhere,
        environment(venv, COLUMNS="200"),
        timeout=900,
    )
    assert "demo: counts match" in output
    assert (elsewhere / "demo" / "warehouse.duckdb").is_file()
    # Installed packages may be read-only: dbt's target, logs and partial parse go under the demo's home.
    assert snapshot(project) == before

"""Each stage package exports a small public API: the names in its ``__all__``, imported on first use."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from types import ModuleType

import pytest

STAGES = [f"clickstream.{stage}" for stage in ("ingestion", "etl", "loader", "quicksight", "studio", "infra")]
PUBLIC_NAMES = [(stage, name) for stage in STAGES for name in importlib.import_module(stage).__all__]


@pytest.mark.parametrize(("stage", "name"), PUBLIC_NAMES, ids=[f"{s}.{n}" for s, n in PUBLIC_NAMES])
def test_a_public_name_is_the_object_a_module_of_its_stage_defines(stage: str, name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {stage} import {name}", namespace)  # the way callers will import it
    value = namespace[name]
    home = sys.modules[getattr(value, "__module__", "")]
    assert home.__name__.startswith(f"{stage}.")
    assert getattr(home, getattr(value, "__name__", "")) is value


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_documents_its_public_api_in_its_docstring(stage: str) -> None:
    package = importlib.import_module(stage)
    assert package.__doc__ is not None
    assert "Public API" in package.__doc__
    missing = [
        name
        for name in package.__all__
        if f":func:`{name}`" not in package.__doc__ and f":class:`{name}`" not in package.__doc__
    ]
    assert missing == []


def test_importing_a_stage_package_loads_none_of_its_modules() -> None:
    # A fresh interpreter: in this one the other tests have long imported the stages' modules.
    script = (
        f"import json, sys; import {', '.join(STAGES)}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.rpartition('.')[0] in {STAGES!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(loaded) == []


@pytest.mark.parametrize(
    ("stage", "submodule"),
    [("clickstream.etl", "native"), ("clickstream.ingestion", "metrics"), ("clickstream.infra", "render")],
)
def test_a_submodule_still_imports_through_its_package(stage: str, submodule: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {stage} import {submodule}", namespace)
    assert isinstance(namespace[submodule], ModuleType)
    assert namespace[submodule] is sys.modules[f"{stage}.{submodule}"]


@pytest.mark.parametrize("stage", STAGES)
def test_a_name_outside_the_public_api_is_an_attribute_error(stage: str) -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        importlib.import_module(stage).no_such_name  # noqa: B018

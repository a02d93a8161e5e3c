"""Every macro of the dbt project is documented in macros/macros.yml, with each of its arguments."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros"
DOCS = MACROS / "macros.yml"
_DEFINITION = re.compile(r"{%-?\s*macro\s+(\w+)\s*\((.*?)\)\s*-?%}", re.DOTALL)


def _argument_names(signature: str) -> list[str]:
    """The names of a Jinja macro signature's arguments; defaults may hold quoted commas or brackets."""
    names, depth, quote, current = [], 0, "", ""
    for char in signature + ",":
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            if current.strip():
                names.append(current.split("=")[0].strip())
            current = ""
            continue
        current += char
    return names


def defined() -> dict[str, list[str]]:
    """Each macro under macros/, by name, with its argument names in order."""
    macros: dict[str, list[str]] = {}
    for path in sorted(MACROS.rglob("*.sql")):
        for name, signature in _DEFINITION.findall(path.read_text()):
            assert name not in macros, f"{name} is defined twice"
            macros[name] = _argument_names(signature)
    return macros


def documented() -> dict[str, dict[str, Any]]:
    return {macro["name"]: macro for macro in yaml.safe_load(DOCS.read_text())["macros"]}


def test_the_signature_reader_finds_names_past_defaults_with_commas() -> None:
    assert _argument_names("relation, columns=['a', 'b'], where='x, y', tz=none") == [
        "relation", "columns", "where", "tz"
    ]  # fmt: skip


def test_the_macro_files_define_macros() -> None:
    assert {"clickstream_is_incremental", "clickstream_key", "duckdb__clickstream_map_text"} <= defined().keys()


def test_every_macro_is_documented_with_a_description() -> None:
    docs = documented()
    missing = sorted(name for name in defined() if not (docs.get(name) or {}).get("description", "").strip())
    assert not missing, f"describe these macros in {DOCS.name}: {missing}"


def test_every_argument_is_documented_in_order_with_a_description() -> None:
    docs = documented()
    wrong = {}
    for name, arguments in defined().items():
        listed = (docs.get(name) or {}).get("arguments") or []
        if [argument["name"] for argument in listed] != arguments or not all(
            str(argument.get("description", "")).strip() for argument in listed
        ):
            wrong[name] = arguments
    assert not wrong, f"list these arguments, in order and described, in {DOCS.name}: {wrong}"


def test_every_documented_macro_exists() -> None:
    stale = sorted(documented().keys() - defined().keys())
    assert not stale, f"{DOCS.name} documents macros that no longer exist: {stale}"


def test_no_project_macro_shadows_one_of_dbts() -> None:
    # A root-project macro named like one of dbt's (is_incremental, ref...) replaces it for every model:
    # the project's own names carry the clickstream_ prefix, after an adapter prefix for dispatched ones.
    foreign = sorted(name for name in defined() if not re.fullmatch(r"(\w+__)?clickstream_\w+", name))
    assert not foreign, f"name these macros clickstream_*: {foreign}"

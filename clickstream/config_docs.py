"""Render ``docs/configuration.md`` from the configuration models in :mod:`clickstream.config`.

The page is the one reference of ``clickstream.yml``: an example holding every default, then one
table per section (key, type, default, description) from the pydantic fields, so the docs cannot
describe a key the code does not have. Regenerate after changing a model with
``python -m clickstream.config_docs`` (a test fails while the page differs).
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from clickstream.config import Config

COMMAND = "python -m clickstream.config_docs"
PAGE = Path("docs/configuration.md")
HEADER = f"<!-- Generated from clickstream/config/ by `{COMMAND}`; do not edit by hand. -->\n"

# Defaults computed from the machine the page is rendered on: the page states the rule instead.
_MACHINE_DEFAULTS = {"etl.workers": "one per CPU core"}

INTRO = """\
# Configuration

Every command reads one YAML file: `--config PATH` (given before the command's name), else
`$CLICKSTREAM_CONFIG`, else `./clickstream.yml`, else the built-in defaults, which are enough for
`make demo`. Relative paths are relative to the config file. An unknown key or a wrong value stops
every command with one line naming the key, the problem and what is allowed, e.g.
`invalid clickstream.yml: warehouse.type: Input should be 'duckdb', 'redshift' or 'athena'`.

This page is generated from the models in `clickstream/config/`; each key below is a field there,
and its description is the field's. Keys left out keep their defaults, so a real file is short:

```yaml
apps:
  - {id: shop, timezone: Europe/Paris}
  - {id: blog}
ingestion:
  host: 0.0.0.0
  cors_origins: ["https://shop.example.com"]
etl:
  freshness_hours: 168
```

A section whose default is `null` (`ingestion.s3`, `warehouse.redshift`, `dashboards.quicksight`, ...)
is needed only by the choice that uses it, and then its required keys must be set; the config says
which one is missing and gives an example.
"""


@dataclass(frozen=True)
class Section:
    """One table of the page: the keys of one model, found at ``path`` in the file."""

    path: str
    model: type[BaseModel]
    is_list: bool = False

    @property
    def title(self) -> str:
        return self.path + ("[]" if self.is_list else "") if self.path else "Top level"

    @property
    def anchor(self) -> str:
        """The id GitHub gives the section's heading."""
        return re.sub(r"[^a-z0-9 _-]", "", self.title.lower()).replace(" ", "-")


def _strip_annotated(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _union_args(annotation: Any) -> tuple[Any, ...]:
    annotation = _strip_annotated(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        return tuple(_strip_annotated(arg) for arg in get_args(annotation))
    return (annotation,)


def _nested_model(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model a field holds (itself, optionally, or as a list), and whether it is a list."""
    for arg in _union_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg, False
        if get_origin(arg) is list:
            (item,) = get_args(arg)
            if isinstance(item, type) and issubclass(item, BaseModel):
                return item, True
    return None


def sections(model: type[BaseModel] = Config, path: str = "", is_list: bool = False) -> Iterator[Section]:
    """Every section of the file, depth first in field order, starting with the top level."""
    yield Section(path, model, is_list)
    for name, field in model.model_fields.items():
        nested = _nested_model(field.annotation)
        if nested is not None:
            yield from sections(nested[0], _join(path, field.alias or name), nested[1])


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path", Any: "any"}


def _type_name(annotation: Any) -> str:
    args = _union_args(annotation)
    if len(args) > 1:
        names = [_type_name(arg) for arg in args if arg is not type(None)]
        joined = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        return joined + (" or null" if type(None) in args else "")
    annotation = args[0]
    origin = get_origin(annotation)
    if origin is Literal:
        values = [f"`{value}`" for value in get_args(annotation)]
        return ", ".join(values[:-1]) + " or " + values[-1] if len(values) > 1 else "only " + values[0]
    if origin is list:
        return "list of " + _type_name(get_args(annotation)[0])
    if origin is dict:
        key, value = get_args(annotation)
        return f"map of {_type_name(key)} to {_type_name(value)}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return _SCALARS.get(annotation, getattr(annotation, "__name__", str(annotation)))


# A field's bound, the attribute holding its value, and how the page writes it.
_BOUNDS: tuple[tuple[type, str, str], ...] = (
    (annotated_types.Gt, "gt", "> {}"),
    (annotated_types.Ge, "ge", "≥ {}"),
    (annotated_types.Lt, "lt", "< {}"),
    (annotated_types.Le, "le", "≤ {}"),
    (annotated_types.MinLen, "min_length", "length ≥ {}"),
    (annotated_types.MaxLen, "max_length", "length ≤ {}"),
)


def _constraints(field: FieldInfo) -> tuple[list[str], str | None]:
    """Bounds as short phrases, and the pattern a text must match (if any)."""
    bounds: list[str] = []
    pattern = None
    for item in field.metadata:
        bound = next((text.format(getattr(item, name)) for kind, name, text in _BOUNDS if isinstance(item, kind)), None)
        if bound is not None:
            bounds.append(bound)
        elif getattr(item, "pattern", None) is not None:
            pattern = str(item.pattern)
    return bounds, pattern


def _yaml_value(value: Any) -> str:
    text = yaml.safe_dump(to_jsonable_python(value), default_flow_style=True, width=1000, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _default(path: str, field: FieldInfo) -> str:
    """The default as it would be written in the file, or a phrase when there is no literal one."""
    if path in _MACHINE_DEFAULTS:
        return _MACHINE_DEFAULTS[path]
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    return f"`{_yaml_value(value)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """A docstring as markdown: reST's double backticks become single ones, lines are joined."""
    return " ".join(text.replace("``", "`").split())


def _description(section: Section, name: str, field: FieldInfo, children: dict[str, Section]) -> str:
    parts = [field.description or ""]
    child = children.get(_join(section.path, field.alias or name))
    if child is not None:
        parts.append(f"See [`{child.title}`](#{child.anchor}).")
    _, pattern = _constraints(field)
    if pattern is not None:
        parts.append(f"Must match `{pattern}`.")
    return " ".join(part for part in parts if part)


def _table(section: Section, children: dict[str, Section]) -> list[str]:
    lines = ["| key | type | default | description |", "|---|---|---|---|"]
    for name, field in section.model.model_fields.items():
        key = field.alias or name
        bounds, _ = _constraints(field)
        type_name = _type_name(field.annotation) + (f" ({', '.join(bounds)})" if bounds else "")
        cells = [
            f"`{key}`",
            type_name,
            _default(_join(section.path, key), field),
            _description(section, name, field, children),
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return lines


def _example(model: type[BaseModel], path: str, indent: str) -> list[str]:
    """The defaults of ``model`` as YAML lines; a section without a default points at its table."""
    lines = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        here = _join(path, key)
        nested = _nested_model(field.annotation)
        value = None if field.is_required() else field.get_default(call_default_factory=True)
        if here in _MACHINE_DEFAULTS:
            lines.append(f"{indent}# {key}: {_MACHINE_DEFAULTS[here]}")
        elif nested is not None and isinstance(value, BaseModel):
            lines.append(f"{indent}{key}:")
            lines += _example(nested[0], here, indent + "  ")
        elif nested is not None and value is None:
            lines.append(f"{indent}{key}: null  # see {here}" + ("[]" if nested[1] else ""))
        elif field.is_required():
            lines.append(f"{indent}{key}:  # required")
        else:
            lines.append(f"{indent}{key}: {_yaml_value(value)}")
    return lines


def render_page() -> str:
    all_sections = list(sections())
    children = {section.path: section for section in all_sections if section.path}
    lines = [HEADER + INTRO, "## Contents", ""]
    lines += [f"- [{section.title}](#{section.anchor})" for section in all_sections]
    lines += ["", "## Every default", "", "```yaml", *_example(Config, "", ""), "```", ""]
    for section in all_sections:
        lines += [f"### {section.title}", ""]
        if section.model.__doc__ and section.model is not Config:
            lines += [_prose(section.model.__doc__), ""]
        lines += [*_table(section, children), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_page(root: Path) -> Path:
    target = root / PAGE
    target.write_text(render_page(), encoding="utf-8")
    return target


if __name__ == "__main__":
    print(f"wrote {write_page(Path(__file__).resolve().parent.parent)}")

"""The CloudFormation templates shipped as package data, and a YAML loader that understands their short tags.

The templates are plain files (reviewable, cfn-lint-able); nothing is generated into them. What changes
per deployment travels as stack parameters (:mod:`clickstream.infra.render`).
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import yaml

ROOT_TEMPLATE = "main.yaml"
# The root first; the nested stacks in the order the root declares them.
TEMPLATE_NAMES = (
    ROOT_TEMPLATE,
    "storage.yaml",
    "platform.yaml",
    "ingestion.yaml",
    "etl.yaml",
    "modeling.yaml",
    "reporting.yaml",
    "studio.yaml",
    "monitoring.yaml",
)


def template_texts() -> dict[str, str]:
    """Every template's text by file name, read from the installed package."""
    folder = resources.files("infra") / "templates"
    return {name: (folder / name).read_text(encoding="utf-8") for name in TEMPLATE_NAMES}


def templates_digest(texts: dict[str, str]) -> str:
    """A short content hash of all templates: their upload folder changes exactly when one of them does."""
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return digest.hexdigest()[:16]


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short forms (!Ref, !Sub, !GetAtt a.b, ...) as their long forms."""


def _short_form(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _short_form)


def parse_template(text: str) -> dict[str, Any]:
    """A template as a plain mapping (short tags expanded)."""
    data = yaml.load(text, Loader=_CfnLoader)
    if not isinstance(data, dict):
        raise ValueError("a CloudFormation template must be a mapping")
    return data

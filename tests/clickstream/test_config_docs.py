"""docs/configuration.md: generated from the configuration models, so it holds every key and its default."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from clickstream.config import parse_config
from clickstream.config_docs import COMMAND, PAGE, render_page, sections
from tests.support.paths import REPO


def test_the_configuration_page_is_generated_from_the_models() -> None:
    checked_in = (REPO / PAGE).read_text(encoding="utf-8")
    assert checked_in == render_page(), f"docs/configuration.md is stale; run: {COMMAND}"


def test_every_key_of_every_section_has_a_row_in_its_sections_table() -> None:
    page = render_page()
    for section in sections():
        table = page.split(f"\n### {section.title}\n", 1)[1].split("\n### ", 1)[0]
        keys = re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE)
        expected = [field.alias or name for name, field in section.model.model_fields.items()]
        assert keys == expected, section.title


def test_nested_sections_are_listed_with_their_path_and_linked_from_their_key() -> None:
    page = render_page()
    assert "### warehouse.redshift\n" in page
    assert "### apps[]\n" in page
    assert "See [`studio.warehouse`](#studiowarehouse)." in page
    assert "- [ingestion.auth.oidc](#ingestionauthoidc)" in page


def test_the_example_of_every_default_is_a_valid_file_giving_the_default_config(tmp_path: Path) -> None:
    example = render_page().split("## Every default\n\n```yaml\n", 1)[1].split("```", 1)[0]
    from_example = parse_config(yaml.safe_load(example), tmp_path)
    defaults = parse_config({}, tmp_path)
    assert from_example == defaults


def test_a_key_without_a_literal_default_states_its_rule_not_this_machines_value() -> None:
    row = next(line for line in render_page().splitlines() if line.startswith("| `workers` | integer (≥ 1, ≤ 64)"))
    assert "one per CPU core" in row


def test_every_yaml_example_in_the_readme_and_docs_is_a_valid_config(tmp_path: Path) -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    examples = [
        (page.name, block)
        for page in pages
        for block in re.findall(r"^```ya?ml\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)
    ]
    assert len(examples) >= 3
    for name, block in examples:
        parse_config(yaml.safe_load(block), tmp_path, f"an example in {name}")

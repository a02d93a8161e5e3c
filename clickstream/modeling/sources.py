"""Render the dbt sources file and the column-list macro from the contract.

dbt then sees the same tables and columns as the ETL and the loader, and models select explicit
columns without introspecting the warehouse (which also keeps offline compiles for Redshift and
Athena possible). Regenerate after changing the contract with ``python -m clickstream.modeling.sources``
(a test fails while the files differ).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from clickstream.contract import ALL_TABLES, Table

HEADER = "# Generated from clickstream/contract.py by `python -m clickstream.modeling.sources`; do not edit by hand.\n"


def _column(table: Table, name: str) -> dict[str, Any]:
    column = table.column(name)
    entry: dict[str, Any] = {"name": name, "description": column.description}
    meta: dict[str, Any] = {"redshift_type": column.redshift_type}
    if column.category:
        meta.update(category=column.category, scan_values=column.scan_values)
    entry["config"] = {"meta": meta}
    if not column.nullable:
        entry["data_tests"] = ["not_null"]
    return entry


def sources_document() -> dict[str, Any]:
    tables = []
    for table in ALL_TABLES.values():
        entry: dict[str, Any] = {"name": table.name, "description": table.description}
        if table.name == "event_v2":
            entry["config"] = {
                "loaded_at_field": "event_timestamp",
                "freshness": {
                    "warn_after": {"count": 1, "period": "day"},
                    "error_after": {"count": 3, "period": "day"},
                },
            }
        entry["columns"] = [_column(table, name) for name in table.column_names]
        tables.append(entry)
    return {
        "version": 2,
        "sources": [
            {
                "name": "clickstream",
                "description": "Processed tables loaded by `clickstream load` (the original's data model v2).",
                "schema": "{{ env_var('CLICKSTREAM_DBT_SOURCE_SCHEMA', var('clickstream__source_schema')) }}",
                "tables": tables,
            }
        ],
    }


def render_sources_yaml() -> str:
    return HEADER + yaml.safe_dump(sources_document(), sort_keys=False, width=120, allow_unicode=True)


def render_columns_macro() -> str:
    lines = [
        "{#- Generated from clickstream/contract.py by `python -m clickstream.modeling.sources`; do not edit by hand.",
        "    Column names of each source table, in contract order. -#}",
        "{% macro clickstream_source_columns(table_name) %}",
        "    {%- set columns = {",
    ]
    for index, table in enumerate(ALL_TABLES.values()):
        names = ", ".join(f"'{name}'" for name in table.column_names)
        comma = "," if index < len(ALL_TABLES) - 1 else ""
        lines.append(f"        '{table.name}': [{names}]{comma}")
    lines += [
        "    } -%}",
        "    {%- if table_name not in columns -%}",
        '        {{ exceptions.raise_compiler_error("no source table clickstream." ~ table_name) }}',
        "    {%- endif -%}",
        "    {{ return(columns[table_name]) }}",
        "{% endmacro %}",
    ]
    return "\n".join(lines) + "\n"


GENERATED = {
    Path("models/sources/__sources.yml"): render_sources_yaml,
    Path("macros/source_columns.sql"): render_columns_macro,
}


def write_generated(project_dir: Path) -> list[Path]:
    written = []
    for relative, render in GENERATED.items():
        (project_dir / relative).write_text(render())
        written.append(project_dir / relative)
    return written


if __name__ == "__main__":
    from clickstream.bundled import dbt_project  # the checkout's dbt_project/ in an editable install

    for path in write_generated(dbt_project()):
        print(f"wrote {path}")

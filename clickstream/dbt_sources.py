"""Render the dbt sources file from the contract, so dbt sees the same tables and columns.

Regenerate after changing the contract:
``python -m clickstream.dbt_sources > dbt_project/models/sources/__sources.yml``
(a test fails while the two differ).
"""

from __future__ import annotations

from typing import Any

import yaml

from clickstream.contract import ALL_TABLES, Table

HEADER = "# Generated from clickstream/contract.py by `python -m clickstream.dbt_sources`; do not edit by hand.\n"


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
                "schema": "{{ var('clickstream__source_schema') }}",
                "tables": tables,
            }
        ],
    }


def render_sources_yaml() -> str:
    return HEADER + yaml.safe_dump(sources_document(), sort_keys=False, width=120, allow_unicode=True)


if __name__ == "__main__":
    print(render_sources_yaml(), end="")

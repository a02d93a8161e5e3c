"""`clickstream metadata export`: the scanned metadata (meta_* models) merged with the static catalog.

The static part (description, category, whether values are scanned) is the `meta:` of the source
columns in dbt's manifest.json, generated from clickstream/contract.py; the scanned part (counts per
day, platforms, SDK versions, top values) is what the meta_* models hold. The console reads one JSON
document with both, shaped like the original's metadata API (events, event parameters, user
attributes, each with a summary and `valueEnum`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from clickstream.config import Config
from clickstream.contract import PROCESSED_TABLES
from clickstream.errors import ModelError

SET_SEPARATOR = "#|!|#"
MART_SCHEMA = "analytics"
METADATA_TABLES = ("meta_event", "meta_event_parameter", "meta_user_attribute")
CUSTOM_CATEGORY = "event"  # the category of custom parameters; every other one is a preset column's


def value_type(redshift_type: str) -> str:
    """The original's value type of a column: number, boolean or string (macro clickstream_value_type)."""
    kind = redshift_type.lower()
    if kind in ("bigint", "int", "integer", "double precision", "float"):
        return "number"
    if kind in ("bool", "boolean"):
        return "boolean"
    return "string"


def manifest_path(config: Config) -> Path:
    return config.home / "dbt" / "target" / "manifest.json"


def static_columns(config: Config) -> dict[str, dict[str, dict[str, Any]]]:
    """{table: {column: {description, category, scan_values}}} of the clickstream sources."""
    path = manifest_path(config)
    if not path.is_file():
        raise ModelError(f"no dbt manifest at {path}", hint="run `clickstream model` first")
    manifest = json.loads(path.read_text())
    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for source in manifest["sources"].values():
        if source["source_name"] != "clickstream":
            continue
        columns = {}
        for name, column in source["columns"].items():
            meta = column.get("meta") or column.get("config", {}).get("meta") or {}
            columns[name] = {
                "description": column.get("description", ""),
                "category": meta.get("category"),
                "scan_values": bool(meta.get("scan_values", False)),
                "value_type": value_type(meta.get("redshift_type", "")),
            }
        tables[source["name"]] = columns
    return tables


def contract_columns() -> dict[str, dict[str, dict[str, Any]]]:
    """The static fields of :func:`static_columns` from the contract itself, where no dbt manifest is at hand.

    The sources' descriptions and ``meta:`` are generated from the contract (clickstream/modeling/sources.py),
    so both give the same fields; a deployed Studio has the contract but not the modeling task's manifest.
    """
    return {
        table.name: {
            column.name: {
                "description": column.description,
                "category": column.category,
                "scan_values": column.scan_values,
                "value_type": value_type(column.redshift_type),
            }
            for column in table.columns
        }
        for table in PROCESSED_TABLES.values()
    }


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _split(value: str | None) -> set[str]:
    return {part for part in (value or "").split(SET_SEPARATOR) if part}


def _scanned(config: Config) -> dict[str, list[dict[str, Any]]]:
    if config.dbt_target != "duckdb":
        raise ModelError(
            f"metadata export reads the DuckDB warehouse; warehouse.type is {config.dbt_target}",
            hint="query the meta_* tables of your warehouse directly",
        )
    try:
        with duckdb.connect(str(config.warehouse_path), read_only=True) as connection:
            return {table: _rows(connection, f"select * from {MART_SCHEMA}.{table}") for table in METADATA_TABLES}
    except duckdb.IOException as exc:
        raise ModelError(
            f"cannot open the warehouse {config.warehouse_path}: {exc}",
            hint="another process (a dbt run, a notebook) may hold it open; close it and retry",
        ) from None
    except duckdb.Error as exc:
        raise ModelError(f"cannot read the metadata tables: {exc}", hint="run `clickstream model` first") from None


def _summaries(rows: list[dict[str, Any]], key: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        entry = grouped.setdefault(
            tuple(row[k] for k in key),
            {"days": defaultdict(int), "platform": set(), "values": defaultdict(int), "events": set(), "sdk": {}},
        )
        entry["days"][row["event_date"].isoformat()] += int(row["count"])
        entry["platform"] |= _split(row.get("platform"))
        entry["events"] |= _split(row.get("event_name_set"))
        if "property_value" in row:
            entry["values"][row["property_value"]] += int(row["count"])
        for field in ("sdk_version", "sdk_name"):
            if field in row:
                entry["sdk"].setdefault(field, set()).update(_split(row[field]))
    return grouped


def _value_enum(values: dict[str, int]) -> list[dict[str, Any]]:
    return [{"value": value, "count": count} for value, count in sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))]


def build_catalog(config: Config) -> dict[str, Any]:
    """The merged catalog: every event, event parameter and user attribute with data, plus static fields."""
    return assemble_catalog(config.project_id, static_columns(config), _scanned(config))


def assemble_catalog(
    project_id: str, static: dict[str, dict[str, dict[str, Any]]], scanned: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """The catalog document from the static column fields and the rows of the three meta_* tables.

    Separate from reading them, so that the Studio builds the same document from a Redshift or Athena
    warehouse's meta_* tables as `metadata export` does from DuckDB's. As the original's store step:
    a preset parameter (an event column or a session column) is associated with every event and
    platform of its app, and the preset parameters and user columns not marked for scanning are listed
    too, without values.
    """
    events = []
    app_events: dict[tuple[str, str], set[str]] = defaultdict(set)
    app_platforms: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (row_project, app_id, name), entry in sorted(
        _summaries(scanned["meta_event"], ("project_id", "app_id", "event_name")).items()
    ):
        days = dict(sorted(entry["days"].items()))
        app_events[(row_project, app_id)].add(name)
        app_platforms[(row_project, app_id)] |= entry["platform"]
        events.append({
            "id": f"{row_project}#{app_id}#{name}", "projectId": row_project, "appId": app_id, "name": name,
            "days": days,
            "summary": {
                "hasData": True, "latestCount": days[max(days)], "platform": sorted(entry["platform"]),
                "sdkVersion": sorted(entry["sdk"].get("sdk_version", ())),
                "sdkName": sorted(entry["sdk"].get("sdk_name", ())),
            },
        })  # fmt: skip
    event_columns = static.get("event_v2", {})

    def parameter(
        row_project: str, app_id: str, category: str, name: str, kind: str, entry: dict[str, Any] | None
    ) -> dict[str, Any]:
        preset = category != CUSTOM_CATEGORY
        app = (row_project, app_id)
        return {
            "id": f"{row_project}#{app_id}#{category}#{name}#{kind}", "projectId": row_project, "appId": app_id,
            "name": name, "category": category, "valueType": kind,
            "description": event_columns.get(name, {}).get("description", ""),
            "metadataSource": "Preset" if preset else "Custom",
            "summary": {
                "hasData": True,
                "platform": sorted(app_platforms[app] if preset or entry is None else entry["platform"]),
                "associatedEvents": sorted(app_events[app] if preset or entry is None else entry["events"]),
                "valueEnum": _value_enum(entry["values"]) if entry else [],
            },
        }  # fmt: skip

    parameters = [
        parameter(row_project, app_id, category, name, kind, entry)
        for (row_project, app_id, category, name, kind), entry in sorted(
            _summaries(
                scanned["meta_event_parameter"], ("project_id", "app_id", "category", "property_name", "value_type")
            ).items()
        )
    ]
    unscanned = [
        (name, column) for name, column in event_columns.items() if column["category"] and not column["scan_values"]
    ]
    for row_project, app_id in sorted(app_events):
        parameters += [
            parameter(row_project, app_id, column["category"], name, column.get("value_type", "string"), None)
            for name, column in unscanned
        ]
    user_columns = static.get("user_v2", {})

    def attribute(app_id: str, category: str, name: str, kind: str, entry: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "id": f"{project_id}#{app_id}#{category}#{name}#{kind}", "projectId": project_id,
            "appId": app_id, "name": name, "category": category, "valueType": kind,
            "description": user_columns.get(name, {}).get("description", ""),
            "metadataSource": "Preset" if name in user_columns else "Custom",
            "summary": {"hasData": True, "valueEnum": _value_enum(entry["values"]) if entry else []},
        }  # fmt: skip

    attributes = [
        attribute(app_id, category, name, kind, entry)
        for (app_id, category, name, kind), entry in sorted(
            _summaries(scanned["meta_user_attribute"], ("app_id", "category", "property_name", "value_type")).items()
        )
    ]
    unscanned = [
        (name, column) for name, column in user_columns.items() if column["category"] and not column["scan_values"]
    ]
    for app_id in sorted({app_id for _, app_id in app_events}):
        attributes += [
            attribute(app_id, column["category"], name, column.get("value_type", "string"), None)
            for name, column in unscanned
        ]
    return {
        "projectId": project_id,
        "events": events,
        "eventParameters": parameters,
        "userAttributes": attributes,
    }


def export_metadata(config: Config, output: Path | None) -> dict[str, Any]:
    """Write the catalog as JSON to ``output`` (stdout when None) and return it."""
    catalog = build_catalog(config)
    text = json.dumps(catalog, indent=2, ensure_ascii=False, default=str)
    if output is None:
        print(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        temporary = output.with_name(f".{output.name}.tmp")
        temporary.write_text(text + "\n")
        temporary.replace(output)  # readers (Studio, a dashboard build) never see half a catalog
    return catalog

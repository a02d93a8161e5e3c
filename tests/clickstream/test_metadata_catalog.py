"""The catalog document built from the meta_* rows: the same for `metadata export` and the Studio."""

from __future__ import annotations

from clickstream.metadata import assemble_catalog, contract_columns
from tests.studio.remote_stubs import meta_tables


def scanned(project_id: str) -> dict[str, list[dict[str, object]]]:
    return {table: [dict(zip(columns, row, strict=True)) for row in rows]
            for table, (columns, rows) in meta_tables(project_id).items()}  # fmt: skip


def test_the_document_names_the_configured_project_not_the_last_rows() -> None:
    document = assemble_catalog("configured", contract_columns(), scanned("scanned"))
    assert document["projectId"] == "configured"
    assert {attribute["projectId"] for attribute in document["userAttributes"]} == {"configured"}


def test_each_event_and_parameter_keeps_the_project_of_its_row() -> None:
    document = assemble_catalog("configured", contract_columns(), scanned("scanned"))
    assert {event["id"].split("#")[0] for event in document["events"]} == {"scanned"}
    assert {parameter["projectId"] for parameter in document["eventParameters"]} == {"scanned"}

"""Scripted Redshift Data API and Athena clients for the Studio's remote readers, and what they answer with.

The clients are real botocore clients under a Stubber, so every request the reader sends is checked
against the service's model (names, types, required members) and every scripted answer is a valid
response. Answers carry real rows: those DuckDB gives for the same query on tests/studio/dataset.py's
snapshot, and the meta_* rows a metadata scan of that dataset gives, encoded as each service sends them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import botocore.session
from botocore.stub import ANY, Stubber

from tests.studio.dataset import APP, EVENTS

Table = tuple[list[str], list[tuple[Any, ...]]]


class FakeTime:
    """A clock that only moves when the reader sleeps, so polling and timeouts are exact."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def aws_client(service: str) -> Any:
    session = botocore.session.get_session()
    return session.create_client(
        service, region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


class Recorder:
    """The operations and parameters a client was called with, in order."""

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, dict(params)))

    def operations(self) -> set[str]:
        return {name for name, _ in self.calls}

    def sql(self, operation: str, key: str) -> list[str]:
        return [params[key] for name, params in self.calls if name == operation]


# --- rows of the dataset's metadata scan ---------------------------------------------------------------------


def meta_tables(project_id: str) -> dict[str, Table]:
    """meta_event, meta_event_parameter and meta_user_attribute as dbt's scan of the dataset builds them."""
    per_event: dict[tuple[str, date], list[str]] = defaultdict(list)
    products: Counter[tuple[str, date, str]] = Counter()
    product_events: dict[tuple[str, date], set[str]] = defaultdict(set)
    for _user, platform, _session, moment, name, parameters in EVENTS:
        day = datetime.fromisoformat(moment).date()
        per_event[(name, day)].append(platform)
        if "product" in parameters:
            products[(parameters["product"], day, platform)] += 1
            product_events[(parameters["product"], day)].add(name)
    event_rows = [
        (project_id, APP, name, day, len(platforms), "#|!|#".join(sorted(set(platforms))), "0.1.0", "web-sdk")
        for (name, day), platforms in sorted(per_event.items())
    ]
    parameter_rows = [
        (project_id, APP, "event", "product", "string", value, day, count,
         "#|!|#".join(sorted(product_events[(value, day)])), platform)
        for (value, day, platform), count in sorted(products.items())
    ]  # fmt: skip
    attribute_rows = [(APP, "user", "tier", "string", "gold", date(2024, 1, 9), 2),
                      (APP, "user", "tier", "string", "silver", date(2024, 1, 4), 1)]  # fmt: skip
    return {
        "meta_event": (
            ["project_id", "app_id", "event_name", "event_date", "count", "platform", "sdk_version", "sdk_name"],
            event_rows,
        ),
        "meta_event_parameter": (
            [
                "project_id",
                "app_id",
                "category",
                "property_name",
                "value_type",
                "property_value",
                "event_date",
                "count",
                "event_name_set",
                "platform",
            ],
            parameter_rows,
        ),
        "meta_user_attribute": (
            ["app_id", "category", "property_name", "value_type", "property_value", "event_date", "count"],
            attribute_rows,
        ),
    }


def pages(table: Table, size: int) -> list[Table]:
    """``table`` cut into result pages of ``size`` rows (at least one page, maybe empty)."""
    columns, rows = table
    return [(columns, rows[start : start + size]) for start in range(0, max(len(rows), 1), size)]


def _kind(rows: Sequence[tuple[Any, ...]], index: int) -> Any:
    return next((type(row[index]) for row in rows if row[index] is not None), None)


# --- Redshift Data API ---------------------------------------------------------------------------------------

_REDSHIFT_TYPES = {bool: "bool", int: "int8", float: "float8", date: "date", datetime: "timestamp", str: "varchar"}


def redshift_field(value: Any) -> dict[str, Any]:
    """A value as the Data API sends it: dates, timestamps and text as strings, numbers as numbers."""
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, datetime):
        return {"stringValue": value.strftime("%Y-%m-%d %H:%M:%S")}
    if isinstance(value, date):
        return {"stringValue": value.isoformat()}
    return {"stringValue": str(value)}


class RedshiftScript:
    """The statements a Redshift reader is expected to run, each with its status checks and result pages."""

    def __init__(self, target: dict[str, str]) -> None:
        self.client = aws_client("redshift-data")
        self.stubber = Stubber(self.client)
        self.recorder = Recorder(self.client)
        self.target = target
        self._count = 0

    def statement(
        self,
        result: Table | None = None,
        page_rows: int = 1000,
        statuses: Sequence[str] = ("FINISHED",),
        error: str | None = None,
        cancel: bool = False,
    ) -> str:
        self._count += 1
        statement_id = f"00000000-0000-4000-8000-{self._count:012d}"
        self.stubber.add_response(
            "execute_statement", {"Id": statement_id}, {"Sql": ANY, "StatementName": ANY, **self.target}
        )
        for status in statuses:
            described: dict[str, Any] = {"Id": statement_id, "Status": status, "HasResultSet": status == "FINISHED"}
            if status == "FAILED":
                described["Error"] = error or "ERROR: failed"
            self.stubber.add_response("describe_statement", described, {"Id": statement_id})
        if cancel:
            self.stubber.add_response("cancel_statement", {"Status": True}, {"Id": statement_id})
        if result is not None and statuses[-1] == "FINISHED":
            columns, all_rows = result
            metadata = [{"name": name, "label": name, "typeName": _REDSHIFT_TYPES.get(_kind(all_rows, i), "varchar")}
                        for i, name in enumerate(columns)]  # fmt: skip
            cut = pages(result, page_rows)
            for index, (_, rows) in enumerate(cut):
                page: dict[str, Any] = {
                    "Records": [[redshift_field(value) for value in row] for row in rows],
                    "ColumnMetadata": metadata,
                    "TotalNumRows": len(all_rows),
                }
                if index < len(cut) - 1:
                    page["NextToken"] = f"page-{index + 1}"
                expected = {"Id": statement_id, **({"NextToken": f"page-{index}"} if index else {})}
                self.stubber.add_response("get_statement_result", page, expected)
        return statement_id

    def catalog(self, project_id: str) -> None:
        for table in meta_tables(project_id).values():
            self.statement(table)


# --- Athena --------------------------------------------------------------------------------------------------

_ATHENA_TYPES = {bool: "boolean", int: "bigint", float: "double", date: "date", datetime: "timestamp", str: "varchar"}


def athena_text(value: Any) -> dict[str, str]:
    """A value as Athena sends it: always text (no VarCharValue for NULL)."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"VarCharValue": "true" if value else "false"}
    if isinstance(value, datetime):
        return {"VarCharValue": value.strftime("%Y-%m-%d %H:%M:%S.000")}
    if isinstance(value, date):
        return {"VarCharValue": value.isoformat()}
    return {"VarCharValue": str(value)}


class AthenaScript:
    """The queries an Athena reader is expected to start, each with its state checks and result pages."""

    def __init__(self, workgroup: str, output_location: str | None) -> None:
        self.client = aws_client("athena")
        self.stubber = Stubber(self.client)
        self.recorder = Recorder(self.client)
        self.start: dict[str, Any] = {"QueryString": ANY, "WorkGroup": workgroup}
        if output_location:
            self.start["ResultConfiguration"] = {"OutputLocation": output_location}
        self._count = 0

    def query(
        self,
        result: Table | None = None,
        page_rows: int = 1000,
        states: Sequence[str] = ("SUCCEEDED",),
        reason: str | None = None,
        stop: bool = False,
    ) -> str:
        self._count += 1
        query_id = f"11111111-0000-4000-8000-{self._count:012d}"
        self.stubber.add_response("start_query_execution", {"QueryExecutionId": query_id}, self.start)
        for state in states:
            status: dict[str, Any] = {"State": state}
            if state == "FAILED":
                status["StateChangeReason"] = reason or "failed"
                status["AthenaError"] = {"ErrorCategory": 2, "ErrorType": 1006, "ErrorMessage": reason or "failed"}
            execution = {"QueryExecutionId": query_id, "StatementType": "DML", "Status": status}
            self.stubber.add_response(
                "get_query_execution", {"QueryExecution": execution}, {"QueryExecutionId": query_id}
            )
        if stop:
            self.stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": query_id})
        if result is not None and states[-1] == "SUCCEEDED":
            columns, all_rows = result
            info = [{"Name": name, "Label": name, "Type": _ATHENA_TYPES.get(_kind(all_rows, i), "varchar")}
                    for i, name in enumerate(columns)]  # fmt: skip
            cut = pages(result, page_rows)
            for index, (_, rows) in enumerate(cut):
                records = [{"Data": [athena_text(value) for value in row]} for row in rows]
                if index == 0:  # a SELECT's first page starts with the column names
                    records.insert(0, {"Data": [{"VarCharValue": name} for name in columns]})
                page: dict[str, Any] = {"ResultSet": {"Rows": records, "ResultSetMetadata": {"ColumnInfo": info}}}
                if index < len(cut) - 1:
                    page["NextToken"] = f"page-{index + 1}"
                expected: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": 1000}
                if index:
                    expected["NextToken"] = f"page-{index}"
                self.stubber.add_response("get_query_results", page, expected)
        return query_id

    def catalog(self, project_id: str) -> None:
        for table in meta_tables(project_id).values():
            self.query(table)

"""The Studio's queries on Athena: the dbt models in the Glue database ``studio.warehouse.schema``.

``StartQueryExecution`` in the configured work group (results under ``athena_output_location``, else
where the work group puts them), ``GetQueryExecution`` with backoff until the state is final, then
``GetQueryResults`` page by page. Athena returns every value as text; the result's column types
(``ResultSetMetadata``) turn them back into numbers, dates and timestamps. A query still running at
``studio.query_timeout_seconds`` is stopped (``StopQueryExecution``) and answered like a DuckDB
timeout; a failed or cancelled one becomes :class:`~clickstream.studio.reader.QueryFailed` with Athena's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import boto3
import botocore.config
import botocore.exceptions

from clickstream.config import AthenaConfig, StudioConfig
from clickstream.polling import poll
from clickstream.studio.deadline import QueryTimeout
from clickstream.studio.reader import QueryFailed, WarehouseClients, WarehouseReader

if TYPE_CHECKING:
    from mypy_boto3_athena.client import AthenaClient

# A refusal (ClientError) or no answer at all (no credentials, no endpoint, a timeout: BotoCoreError).
AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)

logger = logging.getLogger("studio.athena")

PAGE_ROWS = 1000  # GetQueryResults' largest page
_RUNNING = frozenset({"QUEUED", "RUNNING"})
_INTEGER_TYPES = frozenset({"tinyint", "smallint", "integer", "int", "bigint"})
_FLOAT_TYPES = frozenset({"double", "float", "real", "decimal"})


def athena_client(settings: AthenaConfig) -> AthenaClient:
    config = botocore.config.Config(
        retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=60
    )
    return boto3.session.Session().client(
        "athena", endpoint_url=settings.endpoint_url, region_name=settings.region, config=config
    )


def typed_value(text: str | None, type_name: str) -> Any:
    """An Athena result value (text, or None for NULL) as the Python value of its column type."""
    if text is None:
        return None
    kind = type_name.lower()
    if kind == "boolean":
        return text == "true"
    if kind in _INTEGER_TYPES:
        return int(text)
    if kind in _FLOAT_TYPES:
        return float(text)
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "timestamp with time zone":  # e.g. "2024-01-05 10:00:00.000 UTC"
        stamp, _, zone = text.rpartition(" ")
        try:
            return datetime.fromisoformat(stamp).replace(tzinfo=ZoneInfo(zone))
        except (ValueError, ZoneInfoNotFoundError):  # an offset such as +08:00 rather than a zone name
            return datetime.fromisoformat(stamp + zone)
    if kind == "timestamp":
        return datetime.fromisoformat(text)
    return text


class AthenaReader(WarehouseReader):
    dialect = "athena"

    def __init__(self, warehouse: AthenaConfig, settings: StudioConfig, clients: WarehouseClients) -> None:
        remote = settings.warehouse
        super().__init__(remote.schema_name, remote.catalog_refresh_seconds, clients.clock)
        self.client: AthenaClient = clients.athena or athena_client(warehouse)
        self.workgroup = remote.athena_workgroup
        self.output_location = remote.athena_output_location
        self.poll_interval_seconds = remote.poll_interval_seconds
        self.poll_max_interval_seconds = remote.poll_max_interval_seconds
        self.timeout_seconds = settings.query_timeout_seconds
        self._sleep = clients.sleep

    def run(self, sql: str, name: str) -> tuple[list[str], list[list[Any]]]:
        arguments: dict[str, Any] = {"QueryString": sql, "WorkGroup": self.workgroup}
        if self.output_location:
            arguments["ResultConfiguration"] = {"OutputLocation": self.output_location}
        try:
            query_id = self.client.start_query_execution(**arguments)["QueryExecutionId"]
        except AWS_ERRORS as error:
            raise _refused(name, error) from None
        execution = self._wait(query_id, name)
        return self._rows(query_id, name, execution.get("StatementType") == "DML")

    def _wait(self, query_id: str, name: str) -> Mapping[str, Any]:
        """Poll until the query is final, doubling the wait up to the cap; stop it at the time limit."""

        def describe() -> Mapping[str, Any]:
            try:
                execution: Mapping[str, Any] = self.client.get_query_execution(QueryExecutionId=query_id)[
                    "QueryExecution"
                ]
            except AWS_ERRORS as error:
                raise _refused(f"{name} (status)", error) from None
            return execution

        polled = poll(
            describe,
            lambda execution: execution.get("Status", {}).get("State", "") not in _RUNNING,
            first_interval=self.poll_interval_seconds,
            max_interval=self.poll_max_interval_seconds,
            timeout_seconds=self.timeout_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )
        if polled.timed_out:
            assert self.timeout_seconds is not None
            self._stop(query_id)
            raise QueryTimeout(self.timeout_seconds)
        status = polled.answer.get("Status", {})
        state = status.get("State", "")
        if state != "SUCCEEDED":
            reason = status.get("AthenaError", {}).get("ErrorMessage") or status.get("StateChangeReason") or state
            raise QueryFailed(f"Athena query '{name}' ({query_id}) {state.lower()}: {reason}")
        return polled.answer

    def _stop(self, query_id: str) -> None:
        try:
            self.client.stop_query_execution(QueryExecutionId=query_id)
        except AWS_ERRORS as error:  # it may have ended meanwhile
            logger.warning("could not stop an athena query", extra={"id": query_id, "error": str(error)})

    def _rows(self, query_id: str, name: str, header: bool) -> tuple[list[str], list[list[Any]]]:
        """Every page of the result; the first row of a SELECT's first page repeats the column names."""
        columns: list[str] = []
        types: list[str] = []
        rows: list[list[Any]] = []
        token: str | None = None
        while True:
            arguments: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": PAGE_ROWS}
            if token:
                arguments["NextToken"] = token
            try:
                page = self.client.get_query_results(**arguments)
            except AWS_ERRORS as error:
                raise _refused(f"{name} (result)", error) from None
            result = page["ResultSet"]
            records: Sequence[Mapping[str, Any]] = result.get("Rows", [])
            if not columns:
                info = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [str(column.get("Label") or column["Name"]) for column in info]
                types = [str(column["Type"]) for column in info]
                if header and records:
                    records = records[1:]
            for record in records:
                cells = zip(record.get("Data", []), types, strict=True)
                rows.append([typed_value(cell.get("VarCharValue"), kind) for cell, kind in cells])
            token = page.get("NextToken")
            if not token:
                return columns, rows


def _refused(name: str, error: Exception) -> QueryFailed:
    detail = error.response.get("Error", {}) if isinstance(error, botocore.exceptions.ClientError) else {}
    return QueryFailed(
        f"Athena refused '{name}': {detail.get('Code', type(error).__name__)}: {detail.get('Message', error)} "
        "(check studio.warehouse.athena_workgroup, the output location and the credentials' athena permissions)"
    )

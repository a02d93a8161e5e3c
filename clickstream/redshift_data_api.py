"""Statements through the Redshift Data API: submit, poll with backoff, turn failures into clear errors.

The Data API runs statements asynchronously: a call returns an id and the caller asks for the status
until it is final. ``BatchExecuteStatement`` runs its statements as one transaction, which is what
makes a batch's rows and its ledger entries appear together or not at all. A statement that fails is
named by its purpose (not only by Redshift's message) and, in a batch, by its position.

Shared core (not a stage's internals): the loader loads through it and the Analytics Studio queries
through it, so both poll, cancel and report errors the same way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from clickstream.config import RedshiftConfig
from clickstream.errors import WarehouseError
from clickstream.polling import poll

if TYPE_CHECKING:
    from mypy_boto3_redshift_data.client import RedshiftDataAPIServiceClient

# A refusal (ClientError) or no answer at all (no credentials, no endpoint, a timeout: BotoCoreError).
AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)

logger = logging.getLogger("clickstream.loader.redshift")

_FINAL = frozenset({"FINISHED", "FAILED", "ABORTED"})


@dataclass(frozen=True)
class Statement:
    """One SQL statement and what it is for, so an error can say which step failed."""

    purpose: str
    sql: str


class StatementTimeout(WarehouseError):
    """A statement still running after the time limit; it was cancelled."""

    def __init__(self, message: str, hint: str, statement_id: str, seconds: float) -> None:
        super().__init__(message, hint)
        self.statement_id = statement_id
        self.seconds = seconds


def data_api_client(settings: RedshiftConfig) -> RedshiftDataAPIServiceClient:
    config = botocore.config.Config(
        retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=60
    )
    return boto3.session.Session().client(
        "redshift-data", endpoint_url=settings.endpoint_url, region_name=settings.region, config=config
    )


def target_of(settings: RedshiftConfig, login: bool = True) -> dict[str, str]:
    """The Data API arguments naming the cluster or workgroup, the database and (``login``) the login.

    Without the login a workgroup is reached with the caller's own IAM identity (the Data API asks
    Redshift Serverless for temporary credentials of the database user ``IAMR:<role>``).
    """
    target = {"Database": settings.database}
    if settings.cluster_identifier:
        target["ClusterIdentifier"] = settings.cluster_identifier
    if settings.workgroup_name:
        target["WorkgroupName"] = settings.workgroup_name
    if login and settings.db_user:
        target["DbUser"] = settings.db_user
    if login and settings.secret_arn:
        target["SecretArn"] = settings.secret_arn
    return target


class DataApi:
    """One Redshift target (cluster or workgroup, database, login) and the polling policy."""

    def __init__(
        self,
        client: RedshiftDataAPIServiceClient,
        target: Mapping[str, str],
        poll_interval_seconds: float,
        poll_max_interval_seconds: float,
        timeout_seconds: float | None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.target: dict[str, Any] = dict(target)
        self.poll_interval_seconds = poll_interval_seconds
        self.poll_max_interval_seconds = poll_max_interval_seconds
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._clock = clock

    def run_batch(self, statements: Sequence[Statement], name: str, hint: str) -> list[int]:
        """Run ``statements`` as one transaction; the rows each affected (-1 where Redshift gives none)."""
        try:
            response = self.client.batch_execute_statement(
                Sqls=[statement.sql for statement in statements],
                StatementName=name,
                ExecutionMode="TRANSACTION",
                **self.target,
            )
        except AWS_ERRORS as exc:
            raise _refused(name, exc) from None
        described = self._wait(response["Id"], name, statements, hint)
        return [int(sub.get("ResultRows", -1)) for sub in described.get("SubStatements", [])]

    def run(self, statement: Statement, parameters: Mapping[str, str] | None = None, hint: str = "") -> dict[str, Any]:
        """Run one statement (parameters bound by the Data API); its final description."""
        arguments: dict[str, Any] = {"Sql": statement.sql, "StatementName": statement.purpose, **self.target}
        if parameters:
            arguments["Parameters"] = [{"name": key, "value": value} for key, value in parameters.items()]
        try:
            response = self.client.execute_statement(**arguments)
        except AWS_ERRORS as exc:
            raise _refused(statement.purpose, exc) from None
        return self._wait(response["Id"], statement.purpose, [statement], hint)

    def query(self, statement: Statement, parameters: Mapping[str, str] | None = None) -> list[list[Any]]:
        """Rows of a query, each a list of Python values (every page of the result)."""
        described = self.run(statement, parameters, hint="check the schema and the login's permissions")
        if not described.get("HasResultSet"):
            return []
        return [[_value(field) for field in record]
                for page in self._pages(described, statement.purpose) for record in page["Records"]]  # fmt: skip

    def _pages(self, described: Mapping[str, Any], name: str) -> Iterator[Mapping[str, Any]]:
        """Every page of a finished statement's result, in order."""
        token: str | None = None
        while True:
            try:
                page = (
                    self.client.get_statement_result(Id=described["Id"], NextToken=token)
                    if token
                    else self.client.get_statement_result(Id=described["Id"])
                )
            except AWS_ERRORS as exc:
                raise _refused(f"{name} (result)", exc) from None
            yield page
            token = page.get("NextToken")
            if not token:
                return

    def typed_rows(self, described: Mapping[str, Any], name: str) -> tuple[list[str], list[list[Any]]]:
        """Column names and rows of a finished query, each value typed by its column (dates, timestamps, numbers).

        The Data API sends dates, timestamps and numerics as text; the column metadata says which they are.
        """
        if not described.get("HasResultSet"):
            return [], []
        columns: list[str] = []
        types: list[str] = []
        rows: list[list[Any]] = []
        for page in self._pages(described, name):
            if not columns:
                metadata = page.get("ColumnMetadata", [])
                columns = [str(column.get("label") or column.get("name", "")) for column in metadata]
                types = [str(column.get("typeName", "")).lower() for column in metadata]
            rows += [[typed_value(field, kind) for field, kind in zip(record, types, strict=True)]
                     for record in page["Records"]]  # fmt: skip
        return columns, rows

    def _wait(self, statement_id: str, name: str, statements: Sequence[Statement], hint: str) -> dict[str, Any]:
        """Poll until the statement is final: exponential backoff from the first interval to the cap."""

        def describe() -> dict[str, Any]:
            try:
                return dict(self.client.describe_statement(Id=statement_id))
            except AWS_ERRORS as exc:
                raise _refused(f"{name} (status)", exc) from None

        polled = poll(
            describe,
            lambda described: described.get("Status", "") in _FINAL,
            first_interval=self.poll_interval_seconds,
            max_interval=self.poll_max_interval_seconds,
            timeout_seconds=self.timeout_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )
        described, status = polled.answer, str(polled.answer.get("Status", ""))
        if polled.timed_out:
            assert self.timeout_seconds is not None
            self._cancel(statement_id)
            raise StatementTimeout(
                f"Redshift statement '{name}' ({statement_id}) was still {status.lower() or 'running'} "
                f"after {self.timeout_seconds:g}s and was cancelled",
                hint="a batch is one transaction, so nothing of it was committed; look for locks "
                "(svv_transactions) or raise warehouse.redshift.statement_timeout_seconds",
                statement_id=statement_id,
                seconds=self.timeout_seconds,
            )
        if status != "FINISHED":
            raise _failure(name, described, statements, hint)
        logger.info(
            "redshift statement finished",
            extra={"statement": name, "id": statement_id, "duration_ns": described.get("Duration")},
        )
        return described

    def _cancel(self, statement_id: str) -> None:
        try:
            self.client.cancel_statement(Id=statement_id)
        except AWS_ERRORS as exc:  # it may have ended meanwhile: the error says why anyway
            logger.warning("could not cancel a redshift statement", extra={"id": statement_id, "error": str(exc)})


def _value(field: Mapping[str, Any]) -> Any:
    if field.get("isNull"):
        return None
    for key in ("stringValue", "longValue", "doubleValue", "booleanValue", "blobValue"):
        if key in field:
            return field[key]
    return None


_INTEGER_TYPES = frozenset({"int2", "int4", "int8", "smallint", "integer", "bigint", "oid"})
_FLOAT_TYPES = frozenset({"float4", "float8", "real", "double precision", "float", "numeric", "decimal"})


def typed_value(field: Mapping[str, Any], type_name: str) -> Any:
    """A Data API field as the Python value of its Redshift type (``type_name`` from ColumnMetadata)."""
    value = _value(field)
    if not isinstance(value, str):
        return value
    if type_name == "date":
        return date.fromisoformat(value)
    if type_name in ("timestamp", "timestamptz"):
        return datetime.fromisoformat(value)
    if type_name in _INTEGER_TYPES:
        return int(value)
    if type_name in _FLOAT_TYPES:
        return float(value)
    return value


def _refused(name: str, exc: Exception) -> WarehouseError:
    error = exc.response.get("Error", {}) if isinstance(exc, botocore.exceptions.ClientError) else {}
    return WarehouseError(
        f"the Redshift Data API refused '{name}': {error.get('Code', type(exc).__name__)}: {error.get('Message', exc)}",
        hint="check warehouse.redshift (cluster_identifier or workgroup_name, database, db_user or secret_arn), "
        "the region and the credentials' redshift-data permissions",
    )


def _failure(name: str, described: Mapping[str, Any], statements: Sequence[Statement], hint: str) -> WarehouseError:
    """The error of a failed statement; in a batch, the failing step by purpose and position."""
    status = str(described.get("Status", "")).lower()
    message = str(described.get("Error") or status)
    subs = list(described.get("SubStatements") or [])
    failed = next((i for i, sub in enumerate(subs) if sub.get("Status") in ("FAILED", "ABORTED")), None)
    if failed is not None and failed < len(statements):
        message = str(subs[failed].get("Error") or message)
        step = f"step {failed + 1} of {len(statements)}, '{statements[failed].purpose}'"
        return WarehouseError(f"Redshift {status} '{name}' at {step}: {message}", hint=hint or None)
    return WarehouseError(f"Redshift statement '{name}' {status}: {message}", hint=hint or None)

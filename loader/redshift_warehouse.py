"""Amazon Redshift: the contract's tables, loaded with ``COPY`` from S3 through the Redshift Data API.

Each batch writes a ``COPY`` manifest of its Parquet files (with ``content_length``, which ``COPY``
needs for columnar files) and a JSON-lines file of its ledger entries to ``manifest_prefix``, then runs
one transaction that stages both, inserts the rows and records the files (see :mod:`clickstream.loader.redshift_sql`).

Concurrency: :meth:`load_lock` is a local file lock (two loaders on one machine wait for each other
with the configured timeout, and a dead holder releases it). Loaders on different machines are kept
apart inside Redshift: every load transaction starts with ``LOCK`` on the ledger table, so they commit
one after the other, and the guard makes a batch whose files another loader already recorded insert
nothing. A dead client cannot leave a stale lock there: Redshift ends the transaction of a lost session.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from clickstream.config import RedshiftConfig
from clickstream.contract import REJECTED, Table
from clickstream.errors import WarehouseError
from clickstream.loader.redshift_sql import INSERT_ROWS_PURPOSE, LEDGER_FILE_FIELDS, RUN_HISTORY_COLUMNS, RedshiftSql
from clickstream.loader.warehouse import FileToLoad, LedgerEntry, ledger_fields
from clickstream.locks import exclusive_lock
from clickstream.redshift_data_api import DataApi, data_api_client, target_of
from clickstream.run_history import StageRecord

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

logger = logging.getLogger("clickstream.loader.redshift")

_LOAD_HINT = (
    "the batch is one transaction, so none of its rows or ledger entries were committed; "
    "fix the cause and run the load again"
)


def _client_config() -> botocore.config.Config:
    return botocore.config.Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=60)


def s3_client(endpoint_url: str | None, region: str | None) -> S3Client:
    extra: dict[str, Any] = {"s3": {"addressing_style": "path"}} if endpoint_url else {}
    config = _client_config().merge(botocore.config.Config(**extra))
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> (bucket, key)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


class RedshiftWarehouse:
    """The contract's tables in one Redshift schema, plus the ledger and the run history."""

    def __init__(
        self,
        settings: RedshiftConfig,
        schema: str,
        lock_path: Path,
        data_api: DataApi | None = None,
        s3: S3Client | None = None,
    ) -> None:
        self.settings = settings
        self.schema = schema
        self.lock_path = lock_path
        self.sql = RedshiftSql(schema)
        self.data_api = data_api or DataApi(
            data_api_client(settings),
            target_of(settings),
            settings.poll_interval_seconds,
            settings.poll_max_interval_seconds,
            settings.statement_timeout_seconds,
        )
        self.s3 = s3 or s3_client(settings.endpoint_url, settings.region)
        self._run_history_ready = False

    @property
    def description(self) -> str:
        where = self.settings.cluster_identifier or f"workgroup {self.settings.workgroup_name}"
        return f"redshift {where}/{self.settings.database} (schema {self.schema})"

    def load_lock(self, timeout_seconds: float) -> AbstractContextManager[None]:
        return exclusive_lock(self.lock_path, timeout_seconds, f"a load into {self.description}")

    def ensure_tables(self, tables: Sequence[Table]) -> None:
        """Create what is missing in one transaction, then add the columns the contract gained."""
        statements = [self.sql.create_schema(), self.sql.create_ledger(), self.sql.create_run_history()]
        statements += [self.sql.create_table(table) for table in tables]
        self.data_api.run_batch(statements, "clickstream create tables", hint="check the login's CREATE rights")
        self._run_history_ready = True
        existing: dict[str, set[str]] = {}
        for table_name, column_name in self.data_api.query(
            self.sql.existing_columns(), {"schema": self.schema.lower()}
        ):
            existing.setdefault(str(table_name), set()).add(str(column_name))
        for table in tables:
            for name in table.column_names:
                if name not in existing.get(table.name, set()):
                    logger.info("adding a column", extra={"table": table.name, "column": name})
                    self.data_api.run(self.sql.add_column(table, name), hint="check the login's ALTER rights")

    def ledger(self) -> dict[str, LedgerEntry]:
        entries = {}
        for path, table, size, modified, sha256, rows, load_id, loaded_at in self.data_api.query(
            self.sql.select_ledger()
        ):
            entries[str(path)] = LedgerEntry(
                path=str(path),
                table_name=str(table),
                size_bytes=int(size),
                modified_ns=int(modified),
                sha256=str(sha256).strip(),
                row_count=int(rows),
                load_id=str(load_id),
                loaded_at=_timestamp(str(loaded_at)),
            )
        return entries

    def load_files(self, table: Table, files: Sequence[FileToLoad], load_id: str) -> int:
        """Write the manifests and the ledger file, then stage, guard, insert and record in one transaction."""
        if not files:
            return 0
        not_on_s3 = [file.location for file in files if not file.location.startswith("s3://")]
        if not_on_s3:
            raise WarehouseError(
                f"Redshift can only COPY from S3, but {not_on_s3[0]} is not an s3:// location",
                hint="keep the processed files on S3 (the storage root must be an s3:// URI) to load into Redshift",
            )
        base = f"{self.settings.manifest_prefix}{table.name}/{load_id}"
        manifest = self._put(f"{base}.manifest", _manifest(files))
        replacing_files = [file for file in files if file.replaces]
        replacing = self._put(f"{base}-replacing.manifest", _manifest(replacing_files)) if replacing_files else None
        ledger_file = self._put(f"{base}.ledger.jsonl", _ledger_lines(table, files, load_id))
        statements = self.sql.load(table, manifest, ledger_file, self.settings.iam_role_arn, replacing)
        affected = self.data_api.run_batch(statements, f"clickstream load {table.name} {load_id}", _LOAD_HINT)
        purposes = [statement.purpose for statement in statements]
        position = purposes.index(INSERT_ROWS_PURPOSE)
        expected = sum(file.row_count for file in files)
        inserted = affected[position] if position < len(affected) and affected[position] >= 0 else expected
        if inserted == 0 and expected > 0:
            logger.warning(
                "batch already loaded by another loader; nothing inserted",
                extra={"table": table.name, "load_id": load_id, "files": len(files)},
            )
        return inserted

    def refresh_files(self, table: Table, files: Sequence[FileToLoad]) -> None:
        for file in files:
            parameters = {"path": file.relative_path, "size": str(file.size), "mtime": str(file.modified_ns)}
            self.data_api.run(self.sql.refresh_ledger_entry(), parameters, hint="check the ledger table")

    def remove_files(self, table: Table, entries: Sequence[LedgerEntry]) -> int:
        """Forget the files. ``COPY`` cannot record which file a row came from, so processed rows stay (the
        models deduplicate events by ``event_id`` and keep the latest user row); a reject file's path names
        its rows exactly (``rejected/<reason>/<source id>.parquet``), so those are deleted. Each statement
        is idempotent: a crash between them is finished by the next load. Returns the rows deleted.
        """
        removed = 0
        for entry in entries:
            if table is REJECTED:
                reason, source = PurePosixPath(entry.path).parent.name, PurePosixPath(entry.path).stem
                parameters = {"reason": reason, "source_id": source}
                self.data_api.run(self.sql.delete_rejects_of(), parameters, hint="check the rejected table")
                removed += entry.row_count
            self.data_api.run(self.sql.delete_ledger_entry(), {"path": entry.path}, hint="check the ledger table")
        return removed

    def record_stages(self, records: Sequence[StageRecord]) -> None:
        if not records:
            return
        if not self._run_history_ready:
            self.data_api.run(self.sql.create_schema())
            self.data_api.run(self.sql.create_run_history())
            self._run_history_ready = True
        rows: list[list[str | None]] = []
        parameters: dict[str, str] = {}
        for index, record in enumerate(records):
            values = [
                record.run_id,
                record.stage,
                _utc_text(record.started_at),
                _utc_text(record.ended_at),
                record.status,
                str(record.count_in),
                str(record.count_out),
                record.detail,
            ]
            rows.append([value or None for value in values])  # the Data API takes no empty parameter values
            for (name, _), value in zip(RUN_HISTORY_COLUMNS, values, strict=True):
                if value:
                    parameters[f"v{index}_{name}"] = value
        self.data_api.run(self.sql.insert_stages(rows), parameters, hint="check the run-history table")

    def close(self) -> None:
        """Nothing stays open between calls: every statement is its own Data API request."""
        self._run_history_ready = False

    def _put(self, uri: str, body: bytes) -> str:
        bucket, key = split_s3_uri(uri)
        try:
            self.s3.put_object(Bucket=bucket, Key=key, Body=body)
        except botocore.exceptions.ClientError as exc:
            raise WarehouseError(
                f"cannot write {uri}: {exc.response.get('Error', {}).get('Message', exc)}",
                hint="check warehouse.redshift.manifest_prefix and the credentials' s3:PutObject permission",
            ) from None
        return uri


def _manifest(files: Sequence[FileToLoad]) -> bytes:
    """A COPY manifest; ``mandatory`` makes COPY fail rather than skip a file that has gone."""
    entries = [{"url": f.location, "mandatory": True, "meta": {"content_length": f.size}} for f in files]
    return json.dumps({"entries": entries}, indent=1).encode()


def _ledger_lines(table: Table, files: Sequence[FileToLoad], load_id: str) -> bytes:
    lines = []
    for file in files:
        values = ledger_fields(file, table.name, load_id)
        assert tuple(values) == LEDGER_FILE_FIELDS
        lines.append(json.dumps(values))
    return ("\n".join(lines) + "\n").encode()


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _timestamp(text: str) -> datetime:
    """Redshift's ``timestamp`` text (UTC, no zone) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)

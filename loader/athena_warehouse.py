"""Amazon Athena over Glue: the processed Parquet files are the table rows, where the ETL wrote them.

Loading a file therefore copies nothing: it registers the file's partition in Glue
(``BatchCreatePartition``; a partition that exists already is fine) and records the file in the ledger.
The ledger is one JSON-lines object per load under ``<ledger_root>_loaded_files/``, with a Glue table
over that folder, so Athena can query it like the other tables.

Exactly once: a file's rows exist once, at its path, whatever happens to the loader, so Athena can
never count them twice. A load's ledger object is written last, in a single ``PutObject`` (atomic on
S3); a crash before it leaves partitions registered (harmless, re-registering is a no-op) and the files
unrecorded, so the next run plans them again; a crash after it leaves a complete load. A re-processed
file is rewritten in place by the ETL, so Athena already reads its new rows; its new ledger entry
supersedes the old one (the latest ``loaded_at`` of a path wins, in :meth:`ledger` and in queries).

Partitions are registered explicitly rather than by partition projection: projection would need the
app ids and date range in the table properties, and a partition of a day that never had data would
still be scanned for; ``SHOW PARTITIONS`` stays true this way.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from clickstream.config import AthenaConfig
from clickstream.contract import PROCESSED_DIR, REJECTED, REJECTED_DIR, Table
from clickstream.errors import WarehouseError
from clickstream.loader.athena_glue import (
    LEDGER_GLUE_COLUMNS,
    RUN_HISTORY_GLUE_COLUMNS,
    data_table_input,
    json_table_input,
    partition_input,
    partition_keys,
)
from clickstream.loader.athena_lock import S3LeaseLock
from clickstream.loader.redshift_warehouse import s3_client, split_s3_uri
from clickstream.loader.warehouse import (
    LEDGER_TABLE,
    RUN_HISTORY_TABLE,
    FileToLoad,
    LedgerEntry,
    ledger_fields,
)
from clickstream.run_history import StageRecord

if TYPE_CHECKING:
    from mypy_boto3_glue.client import GlueClient
    from mypy_boto3_s3.client import S3Client

logger = logging.getLogger("clickstream.loader.athena")

PARTITIONS_PER_CALL = 100  # BatchCreatePartition's limit
LOCK_OBJECT = "load.lock"
COMPACT_AFTER = 50  # ledger objects read by a load before they are folded into one snapshot
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # what Athena's JSON SerDe reads as a timestamp


def glue_client(settings: AthenaConfig) -> GlueClient:
    config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 5})
    return boto3.session.Session().client(
        "glue", endpoint_url=settings.endpoint_url, region_name=settings.region, config=config
    )


class AthenaWarehouse:
    """Glue tables over the storage root's Parquet folders, with the ledger beside them on S3."""

    def __init__(self, settings: AthenaConfig, glue: GlueClient | None = None, s3: S3Client | None = None) -> None:
        self.settings = settings
        self.database = settings.database
        if settings.data_root is None:
            raise WarehouseError(
                "the Athena warehouse needs the storage root its Glue tables point at",
                hint="set data_root: s3://bucket/prefix in clickstream.yml (open_warehouse fills it in)",
            )
        self.data_root = settings.data_root.rstrip("/") + "/"
        self.ledger_root = settings.ledger_root
        self.glue = glue or glue_client(settings)
        self.s3 = s3 or s3_client(settings.endpoint_url, settings.region)
        self._lock: S3LeaseLock | None = None
        self._inputs: dict[str, dict[str, Any]] = {}

    @property
    def description(self) -> str:
        return f"athena glue database {self.database} over {self.data_root}"

    def load_lock(self, timeout_seconds: float) -> AbstractContextManager[None]:
        bucket, prefix = split_s3_uri(self.ledger_root)
        self._lock = S3LeaseLock(
            self.s3, bucket, prefix + LOCK_OBJECT, self.settings.lock_lease_seconds, f"a load into {self.description}"
        )
        return self._lock.hold(timeout_seconds)

    def table_location(self, table: Table) -> str:
        folder = REJECTED_DIR if table is REJECTED else f"{PROCESSED_DIR}/{table.name}"
        return f"{self.data_root}{folder}/"

    # --- tables -------------------------------------------------------------------------------------

    def ensure_tables(self, tables: Sequence[Table]) -> None:
        """Create the database and missing tables; add columns the contract gained, never drop one."""
        self._call("create the Glue database", self._ensure_database)
        inputs = [data_table_input(table, self.table_location(table)) for table in tables]
        inputs += [
            json_table_input(
                LEDGER_TABLE,
                LEDGER_GLUE_COLUMNS,
                f"{self.ledger_root}{LEDGER_TABLE}/",
                "Loaded files; the latest loaded_at of a path is current.",
            ),
            json_table_input(
                RUN_HISTORY_TABLE,
                RUN_HISTORY_GLUE_COLUMNS,
                f"{self.ledger_root}{RUN_HISTORY_TABLE}/",
                "Pipeline stages run, one row per stage and cycle.",
            ),
        ]
        for table_input in inputs:
            self._call(f"create or update the Glue table {table_input['Name']}", self._ensure_table, table_input)
            self._inputs[table_input["Name"]] = table_input

    def _ensure_database(self) -> None:
        try:
            self.glue.get_database(Name=self.database)
        except self.glue.exceptions.EntityNotFoundException:
            self.glue.create_database(
                DatabaseInput={"Name": self.database, "Description": "Clickstream tables (processed Parquet)"}
            )

    def _ensure_table(self, table_input: dict[str, Any]) -> None:
        name = table_input["Name"]
        try:
            existing = self.glue.get_table(DatabaseName=self.database, Name=name)["Table"]
        except self.glue.exceptions.EntityNotFoundException:
            self.glue.create_table(DatabaseName=self.database, TableInput=table_input)  # type: ignore[arg-type]
            logger.info("created a Glue table", extra={"database": self.database, "table": name})
            return
        columns = list(existing.get("StorageDescriptor", {}).get("Columns", []))
        known = {column["Name"] for column in columns}
        added = [column for column in table_input["StorageDescriptor"]["Columns"] if column["Name"] not in known]
        if not added:
            return
        updated = {**table_input, "StorageDescriptor": {**table_input["StorageDescriptor"], "Columns": columns + added}}
        self.glue.update_table(DatabaseName=self.database, TableInput=updated)  # type: ignore[arg-type]
        logger.info("added columns to a Glue table", extra={"table": name, "columns": [c["Name"] for c in added]})

    # --- the ledger ---------------------------------------------------------------------------------

    def ledger(self) -> dict[str, LedgerEntry]:
        """Every recorded file; of several entries for a path (a re-processed file) the latest counts.

        Each load adds a ledger object, and reading them all would slow every load as history grows: under
        the load lock, once there are more than ``COMPACT_AFTER`` of them, the live entries are written as
        one snapshot object and the objects it replaces are deleted. The snapshot is written first, and
        entries keep their ``loaded_at``, so a crash in between leaves duplicates that read the same.
        """
        entries: dict[str, LedgerEntry] = {}
        latest: dict[str, dict[str, Any]] = {}
        objects = self._read_folder(f"{self.ledger_root}{LEDGER_TABLE}/")
        for _, body in objects:
            for line in body.splitlines():
                if not line.strip():
                    continue
                item = json.loads(line)
                entry = LedgerEntry(
                    path=item["path"],
                    table_name=item["table_name"],
                    size_bytes=int(item["size_bytes"]),
                    modified_ns=int(item["modified_ns"]),
                    sha256=item["sha256"],
                    row_count=int(item["row_count"]),
                    load_id=item["load_id"],
                    loaded_at=datetime.strptime(item["loaded_at"], _TIME_FORMAT).replace(tzinfo=UTC),
                )
                known = entries.get(entry.path)
                if known is None or known.loaded_at <= entry.loaded_at:
                    entries[entry.path] = entry
                    latest[entry.path] = item
        live = {path: item for path, item in latest.items() if not item.get("removed")}
        if self._lock is not None and self._lock.held and len(objects) > COMPACT_AFTER:
            self._compact([key for key, _ in objects], list(live.values()))
        return {path: entries[path] for path in live}

    def _compact(self, keys: list[str], live: list[dict[str, Any]]) -> None:
        """Replace the ledger objects ``keys`` by one snapshot of the ``live`` entries."""
        assert self._lock is not None
        self._lock.check()
        bucket, prefix = split_s3_uri(f"{self.ledger_root}{LEDGER_TABLE}/")
        snapshot = f"snapshot-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.json"
        self._put(f"s3://{bucket}/{prefix}{snapshot}", "".join(json.dumps(item) + "\n" for item in live))
        try:
            for start in range(0, len(keys), 1000):
                self.s3.delete_objects(
                    Bucket=bucket,
                    Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True},
                )
        except botocore.exceptions.ClientError as exc:  # the snapshot is complete; old objects only cost time
            logger.warning("could not delete compacted ledger objects", extra={"error": str(exc)})

    def _read_folder(self, uri: str) -> list[tuple[str, bytes]]:
        bucket, prefix = split_s3_uri(uri)
        bodies = []
        try:
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    body = self.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                    bodies.append((item["Key"], body))
        except botocore.exceptions.ClientError as exc:
            raise _s3_error(f"reading {uri}", exc) from None
        return bodies

    # --- a load -------------------------------------------------------------------------------------

    def load_files(self, table: Table, files: Sequence[FileToLoad], load_id: str) -> int:
        """Register the files' partitions, then record them in one ledger object (the commit)."""
        if not files:
            return 0
        table_input = self._inputs.get(table.name) or data_table_input(table, self.table_location(table))
        location = self.table_location(table)
        partitions: dict[tuple[str, ...], str] = {}
        for file in files:
            values, folder = self._partition_of(table, file, location)
            partitions[values] = folder
        pending = [partition_input(table_input, values, folder) for values, folder in sorted(partitions.items())]
        for start in range(0, len(pending), PARTITIONS_PER_CALL):
            self._register(table, pending[start : start + PARTITIONS_PER_CALL])
        self._commit_ledger([ledger_fields(file, table.name, load_id) for file in files], load_id)
        return sum(file.row_count for file in files)

    def refresh_files(self, table: Table, files: Sequence[FileToLoad]) -> None:
        """A ledger object with the files' new size and time; the latest entry of a path counts."""
        load_id = uuid.uuid4().hex
        self._commit_ledger([ledger_fields(file, table.name, load_id) for file in files], load_id)

    def _commit_ledger(self, records: list[dict[str, Any]], load_id: str) -> None:
        """Write one ledger object (a single PUT: the commit point), unless the load lock was lost."""
        if self._lock is not None:
            self._lock.check()
        loaded_at = datetime.now(UTC).strftime(_TIME_FORMAT)
        lines = "".join(json.dumps({**record, "loaded_at": loaded_at}) + "\n" for record in records)
        self._put(f"{self.ledger_root}{LEDGER_TABLE}/{load_id}.json", lines)

    def remove_files(self, table: Table, entries: Sequence[LedgerEntry]) -> int:
        """The rows went with the files; a ledger object of tombstones (``removed``, 0 rows) records it."""
        if not entries:
            return 0
        load_id = uuid.uuid4().hex
        tombstones = [
            {"path": entry.path, "table_name": table.name, "size_bytes": 0, "modified_ns": 0, "sha256": "",
             "row_count": 0, "load_id": load_id, "removed": True}
            for entry in entries
        ]  # fmt: skip
        self._commit_ledger(tombstones, load_id)
        return sum(entry.row_count for entry in entries)

    def _partition_of(self, table: Table, file: FileToLoad, location: str) -> tuple[tuple[str, ...], str]:
        """(partition values, partition folder URI) of a file, from its folders under the table's location."""
        if not file.location.startswith(location):
            raise WarehouseError(
                f"{file.location} is not under the Glue table {table.name}'s location {location}",
                hint="warehouse.athena.data_root must be the storage root the ETL writes processed files to",
            )
        folders = PurePosixPath(file.location[len(location) :]).parent.parts
        keys = partition_keys(table)
        if table is REJECTED:
            values: tuple[str, ...] = folders
        else:
            pairs = [folder.partition("=") for folder in folders]
            values = tuple(value for _, _, value in pairs)
            if tuple(key for key, _, _ in pairs) != keys:
                values = ()
        if len(values) != len(keys) or not all(values):
            raise WarehouseError(
                f"{file.relative_path} is not in a {'/'.join(keys)} partition folder of {table.name}",
                hint="move the file aside; the ETL writes every file into its partition folder",
            )
        return values, location + "/".join(folders) + "/"

    def _register(self, table: Table, partitions: list[dict[str, Any]]) -> None:
        try:
            response = self.glue.batch_create_partition(
                DatabaseName=self.database,
                TableName=table.name,
                PartitionInputList=partitions,  # type: ignore[arg-type]
            )
        except botocore.exceptions.ClientError as exc:
            raise _glue_error(f"registering partitions of {table.name}", exc) from None
        failed = [e for e in response.get("Errors", []) if e["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException"]
        if failed:
            detail = failed[0]["ErrorDetail"]
            raise WarehouseError(
                f"Glue refused {len(failed)} partition(s) of {table.name}, e.g. {failed[0].get('PartitionValues')}: "
                f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}",
                hint="nothing was recorded in the ledger; fix the cause and run the load again",
            )
        created = len(partitions) - len(response.get("Errors", []))
        logger.info("registered partitions", extra={"table": table.name, "new": created, "asked": len(partitions)})

    # --- run history --------------------------------------------------------------------------------

    def record_stages(self, records: Sequence[StageRecord]) -> None:
        if not records:
            return
        lines = [
            json.dumps(
                {
                    "run_id": r.run_id,
                    "stage": r.stage,
                    "started_at": r.started_at.astimezone(UTC).strftime(_TIME_FORMAT),
                    "ended_at": r.ended_at.astimezone(UTC).strftime(_TIME_FORMAT),
                    "status": r.status,
                    "count_in": r.count_in,
                    "count_out": r.count_out,
                    "detail": r.detail,
                }
            )
            for r in records
        ]
        first = records[0]
        name = f"{first.started_at.astimezone(UTC):%Y%m%dT%H%M%S%f}-{first.run_id}-{first.stage}.json"
        self._put(f"{self.ledger_root}{RUN_HISTORY_TABLE}/{name}", "\n".join(lines) + "\n")

    def close(self) -> None:
        """Nothing stays open: every Glue and S3 call is its own request."""
        self._lock = None

    # --- helpers ------------------------------------------------------------------------------------

    def _put(self, uri: str, text: str) -> None:
        bucket, key = split_s3_uri(uri)
        try:
            self.s3.put_object(Bucket=bucket, Key=key, Body=text.encode())
        except botocore.exceptions.ClientError as exc:
            raise _s3_error(f"writing {uri}", exc) from None

    def _call(self, what: str, function: Any, *args: Any) -> None:
        try:
            function(*args)
        except botocore.exceptions.ClientError as exc:
            raise _glue_error(what, exc) from None


def _glue_error(what: str, exc: botocore.exceptions.ClientError) -> WarehouseError:
    error = exc.response.get("Error", {})
    return WarehouseError(
        f"{what} failed: {error.get('Code', 'error')}: {error.get('Message', exc)}",
        hint="check warehouse.athena (database, region) and the credentials' glue permissions",
    )


def _s3_error(what: str, exc: botocore.exceptions.ClientError) -> WarehouseError:
    error = exc.response.get("Error", {})
    return WarehouseError(
        f"{what} failed: {error.get('Code', 'error')}: {error.get('Message', exc)}",
        hint="check warehouse.athena.data_root / ledger_location and the credentials' S3 permissions",
    )

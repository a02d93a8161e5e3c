"""Every SQL statement the Redshift warehouse sends, built from fixed templates.

Identifiers come from the contract or from validated config and are always double-quoted. No value
from data (file paths, checksums, stage details) is ever written into SQL text: a load's ledger entries
travel as a JSON-lines file that ``COPY`` reads, and run-history values are Data API parameters. The
only literals are the manifest URIs (built from the validated ``manifest_prefix``, the table name and a
hex load id) and the IAM role ARN (validated by pattern), because ``COPY`` accepts nothing else there;
:func:`literal` refuses anything that could end the literal anyway.

A load is one transaction (one ``BatchExecuteStatement``):

1. ``lock`` the ledger table, so loads into one schema run one after the other even from two machines;
2. ``COPY`` the batch's Parquet files (manifest) into a temporary stage, and the ledger entries beside it;
3. count the batch's files already in the ledger with the same checksum (the guard): a batch planned
   by a loader that lost the race to another inserts nothing, rows or ledger entries;
4. fail the transaction (division by zero) when the stage holds another number of rows than the
   files' footers say: a file was rewritten between planning and ``COPY``;
5. for re-processed files, delete the rows they replace by the table's replace key (below) and their
   old ledger entries;
6. insert the rows and the ledger entries.

Replace keys: Redshift's ``COPY`` cannot say which file a row came from, so a re-processed file's old
rows are found by key, as the original's ``sp_merge_*`` procedures merged on keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clickstream.contract import REJECTED, Table
from clickstream.loader.warehouse import LEDGER_TABLE, RUN_HISTORY_TABLE
from clickstream.redshift_data_api import Statement as Statement  # the loader's statements run through the core client

ROW_STAGE = "_stage_rows"
REPLACING_STAGE = "_stage_replacing"
LEDGER_STAGE = "_stage_ledger"
GUARD = "_stage_guard"

# How a re-processed file's old rows are found. event_v2 and item_v2 rows are unique by their contract
# key; a user_v2 row is one user's snapshot of one ETL batch, so the batch's latest event time joins the
# key (a reprocessing that keeps the times replaces exactly that row); a rejected file holds every
# reject of one raw file for one reason, so (reason, source_id) names exactly its rows.
REPLACE_KEYS: dict[str, tuple[str, ...]] = {
    "event_v2": ("event_id",),
    "item_v2": ("event_id", "user_pseudo_id", "item_id"),
    "user_v2": ("app_id", "user_pseudo_id", "event_timestamp"),
    "rejected": ("reason", "source_id"),
}

LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("path", "varchar(1024) not null"),
    ("table_name", "varchar(127) not null"),
    ("size_bytes", "bigint not null"),
    ("modified_ns", "bigint not null"),
    ("sha256", "char(64) not null"),
    ("row_count", "bigint not null"),
    ("load_id", "varchar(64) not null"),
    ("loaded_at", "timestamp not null"),
)
# What each load's ledger file holds (loaded_at is the transaction's own time, set by Redshift).
LEDGER_FILE_FIELDS: tuple[str, ...] = tuple(name for name, _ in LEDGER_COLUMNS if name != "loaded_at")

RUN_HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "varchar(64) not null"),
    ("stage", "varchar(64) not null"),
    ("started_at", "timestamp not null"),
    ("ended_at", "timestamp not null"),
    ("status", "varchar(32) not null"),
    ("count_in", "bigint not null"),
    ("count_out", "bigint not null"),
    ("detail", "varchar(65535) not null"),
)

_SAFE_LITERAL = re.compile(r"^[A-Za-z0-9_.:/=+,@-]*$")


def quote(identifier: str) -> str:
    """A double-quoted identifier; embedded quotes are doubled."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A string literal for the few places SQL takes no parameter (COPY's source and role)."""
    if not _SAFE_LITERAL.match(value):
        raise ValueError(f"{value!r} cannot be written into SQL; it may hold only letters, digits and _.:/=+,@-")
    return f"'{value}'"


class RedshiftSql:
    """Statements for one schema."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def qualified(self, table: str) -> str:
        return f"{quote(self.schema)}.{quote(table)}"

    # --- tables -------------------------------------------------------------------------------------

    def create_schema(self) -> Statement:
        return Statement("create the schema", f"create schema if not exists {quote(self.schema)}")

    def create_ledger(self) -> Statement:
        return Statement(
            "create the ledger table",
            f"create table if not exists {self.qualified(LEDGER_TABLE)} ({_column_list(LEDGER_COLUMNS)}) "
            "diststyle even sortkey (path)",
        )

    def create_run_history(self) -> Statement:
        return Statement(
            "create the run-history table",
            f"create table if not exists {self.qualified(RUN_HISTORY_TABLE)} ({_column_list(RUN_HISTORY_COLUMNS)}) "
            "diststyle even sortkey (started_at)",
        )

    def create_table(self, table: Table) -> Statement:
        """The original's physical design: DISTSTYLE EVEN, the table's sort key, ``created_time`` last."""
        columns = [*_contract_columns(table, with_constraints=True), ("created_time", "timestamp default getdate()")]
        sort_key = ", ".join(quote(name) for name in table.sort_key)
        return Statement(
            f"create table {table.name}",
            f"create table if not exists {self.qualified(table.name)} ({_column_list(columns)}) "
            f"diststyle even sortkey ({sort_key})",
        )

    def existing_columns(self) -> Statement:
        """Columns of the schema's tables; the schema name is the Data API parameter ``schema``."""
        return Statement(
            "read the schema's columns",
            "select table_name, column_name from information_schema.columns where table_schema = :schema",
        )

    def add_column(self, table: Table, column: str) -> Statement:
        """New columns are nullable: rows loaded before the contract gained them have no value."""
        return Statement(
            f"add column {column} to {table.name}",
            f"alter table {self.qualified(table.name)} add column {quote(column)} {table.column(column).redshift_type}",
        )

    # --- the ledger and the run history -------------------------------------------------------------

    def select_ledger(self) -> Statement:
        names = ", ".join(name for name, _ in LEDGER_COLUMNS)
        return Statement("read the ledger", f"select {names} from {self.qualified(LEDGER_TABLE)}")

    def refresh_ledger_entry(self) -> Statement:
        """A file rewritten with the same bytes: its new size and time (parameters ``:path``, ``:size``, ``:mtime``)."""
        return Statement(
            "refresh a rewritten file's size and time",
            f"update {self.qualified(LEDGER_TABLE)} set size_bytes = cast(:size as bigint), "
            "modified_ns = cast(:mtime as bigint) where path = :path",
        )

    def delete_rejects_of(self) -> Statement:
        """The rows of one reject file (parameters ``:reason``, ``:source_id``), which no longer exists."""
        return Statement(
            "delete a vanished reject file's rows",
            f"delete from {self.qualified(REJECTED.name)} where reason = :reason and source_id = :source_id",
        )

    def delete_ledger_entry(self) -> Statement:
        """Forget one file (parameter ``:path``) that no longer exists."""
        return Statement("forget a vanished file", f"delete from {self.qualified(LEDGER_TABLE)} where path = :path")

    def insert_stages(self, rows: Sequence[Sequence[str | None]]) -> Statement:
        """A multi-row insert of run-history rows; each value is a parameter ``:v<row>_<column>``.

        ``None`` stands for an empty string, which the Data API cannot carry as a parameter value.
        """
        casts = {"started_at": "timestamp", "ended_at": "timestamp", "count_in": "bigint", "count_out": "bigint"}
        values = []
        for index, row in enumerate(rows):
            cells = []
            for (name, _), value in zip(RUN_HISTORY_COLUMNS, row, strict=True):
                cell = "''" if value is None else f":v{index}_{name}"
                cells.append(f"cast({cell} as {casts[name]})" if name in casts else cell)
            values.append(f"({', '.join(cells)})")
        names = ", ".join(quote(name) for name, _ in RUN_HISTORY_COLUMNS)
        return Statement(
            "record the pipeline stages",
            f"insert into {self.qualified(RUN_HISTORY_TABLE)} ({names}) values {', '.join(values)}",
        )

    # --- a load -------------------------------------------------------------------------------------

    def load(
        self,
        table: Table,
        manifest_uri: str,
        ledger_uri: str,
        iam_role_arn: str,
        replacing_manifest_uri: str | None,
    ) -> list[Statement]:
        """The statements of one batch's transaction, in order (see the module docstring)."""
        target = self.qualified(table.name)
        ledger = self.qualified(LEDGER_TABLE)
        stage_columns = _column_list(_contract_columns(table, with_constraints=False))
        names = ", ".join(quote(name) for name in table.column_names)
        not_loaded = f"(select already_loaded from {quote(GUARD)}) = 0"
        ledger_names = ", ".join(LEDGER_FILE_FIELDS)
        statements = [
            Statement("lock the ledger", f"lock {ledger}"),
            Statement("create the row stage", f"create temp table {quote(ROW_STAGE)} ({stage_columns})"),
            Statement("copy the files into the stage", _copy_parquet(ROW_STAGE, manifest_uri, iam_role_arn)),
            Statement(
                "create the ledger stage",
                f"create temp table {quote(LEDGER_STAGE)} "
                f"({_column_list([(n, t) for n, t in LEDGER_COLUMNS if n != 'loaded_at'])})",
            ),
            Statement(
                "copy the ledger entries into their stage",
                f"copy {quote(LEDGER_STAGE)} from {literal(ledger_uri)} iam_role {literal(iam_role_arn)} "
                "format as json 'auto'",
            ),
            Statement(
                "count the batch's files already loaded",
                f"create temp table {quote(GUARD)} as select count(*) as already_loaded "
                f"from {ledger} as loaded inner join {quote(LEDGER_STAGE)} as staged "
                "on loaded.path = staged.path and loaded.sha256 = staged.sha256",
            ),
            Statement(
                "check the staged rows against the files' row counts",
                f"select 1 / (case when (select count(*) from {quote(ROW_STAGE)}) = "
                f"(select coalesce(sum(row_count), 0) from {quote(LEDGER_STAGE)}) then 1 else 0 end) as rows_match",
            ),
        ]
        if replacing_manifest_uri is not None:
            keys = REPLACE_KEYS.get(table.name, table.key)
            matches = " and ".join(
                f"{target}.{quote(key)} = replacing.{quote(key)}"
                if not table.column(key).nullable  # a plain equality lets Redshift hash-join a large table
                else f"({target}.{quote(key)} = replacing.{quote(key)} "
                f"or ({target}.{quote(key)} is null and replacing.{quote(key)} is null))"
                for key in keys
            )
            statements += [
                Statement(
                    "create the stage of re-processed files",
                    f"create temp table {quote(REPLACING_STAGE)} ({stage_columns})",
                ),
                Statement(
                    "copy the re-processed files into their stage",
                    _copy_parquet(REPLACING_STAGE, replacing_manifest_uri, iam_role_arn),
                ),
                Statement(
                    "delete the rows the re-processed files replace",
                    f"delete from {target} using {quote(REPLACING_STAGE)} as replacing where {matches} "
                    f"and {not_loaded}",
                ),
                Statement(
                    "delete the re-processed files' old ledger entries",
                    f"delete from {ledger} using {quote(LEDGER_STAGE)} as staged "
                    f"where {ledger}.path = staged.path and {not_loaded}",
                ),
            ]
        statements += [
            Statement(
                "insert the rows",
                f"insert into {target} ({names}) select {names} from {quote(ROW_STAGE)} where {not_loaded}",
            ),
            Statement(
                "record the files in the ledger",
                f"insert into {ledger} ({ledger_names}, loaded_at) select {ledger_names}, getdate() "
                f"from {quote(LEDGER_STAGE)} where {not_loaded}",
            ),
        ]
        return statements


INSERT_ROWS_PURPOSE = "insert the rows"


def _copy_parquet(stage: str, manifest_uri: str, iam_role_arn: str) -> str:
    # SERIALIZETOJSON turns the Parquet maps into SUPER values, as the original's merge procedures did.
    return (
        f"copy {quote(stage)} from {literal(manifest_uri)} iam_role {literal(iam_role_arn)} "
        "format as parquet serializetojson manifest"
    )


def _contract_columns(table: Table, with_constraints: bool) -> list[tuple[str, str]]:
    return [
        (column.name, column.redshift_type + (" not null" if with_constraints and not column.nullable else ""))
        for column in table.columns
    ]


def _column_list(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{quote(name)} {declared}" for name, declared in columns)

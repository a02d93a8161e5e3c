"""The Studio's queries on Redshift, through the Redshift Data API (the core client the loader uses too).

One ``ExecuteStatement`` per analysis on the configured cluster or workgroup, then ``DescribeStatement``
with backoff until it is final, then ``GetStatementResult`` page by page with each value typed by its
column. A query still running at ``studio.query_timeout_seconds`` is cancelled (``CancelStatement``)
and answered like a DuckDB timeout; a failed one becomes :class:`~clickstream.studio.reader.QueryFailed` with
Redshift's message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clickstream.config import RedshiftConfig, StudioConfig
from clickstream.errors import WarehouseError
from clickstream.redshift_data_api import DataApi, Statement, StatementTimeout, data_api_client, target_of
from clickstream.studio.deadline import QueryTimeout
from clickstream.studio.reader import QueryFailed, WarehouseClients, WarehouseReader

if TYPE_CHECKING:
    from mypy_boto3_redshift_data.client import RedshiftDataAPIServiceClient

_HINT = "run `clickstream model` if a model is missing; check the login's SELECT on the schema"


class RedshiftReader(WarehouseReader):
    dialect = "redshift"

    def __init__(self, warehouse: RedshiftConfig, settings: StudioConfig, clients: WarehouseClients) -> None:
        remote = settings.warehouse
        super().__init__(remote.schema_name, remote.catalog_refresh_seconds, clients.clock)
        client: RedshiftDataAPIServiceClient = clients.redshift_data or data_api_client(warehouse)
        self.api = DataApi(
            client,
            target_of(warehouse, login=remote.redshift_login == "warehouse"),
            remote.poll_interval_seconds,
            remote.poll_max_interval_seconds,
            settings.query_timeout_seconds,
            sleep=clients.sleep,
            clock=clients.clock,
        )

    def run(self, sql: str, name: str) -> tuple[list[str], list[list[Any]]]:
        try:
            described = self.api.run(Statement(name, sql), hint=_HINT)
            return self.api.typed_rows(described, name)
        except StatementTimeout as timeout:
            raise QueryTimeout(timeout.seconds) from None
        except WarehouseError as error:
            raise QueryFailed(str(error)) from None

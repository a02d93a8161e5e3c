"""The ``kinesis`` sink: one Kinesis record per raw record, sent with PutRecords.

Batches respect the API's limits (500 records and 5 MiB per request, 1 MiB per record). PutRecords
can accept some entries and refuse others (throttling); only the refused ones are sent again, with
backoff, and if some are still refused after the last try the call raises so the segment stays in
the log. A re-ship after a crash sends the segment's records again: delivery to a stream is at least
once, and the ETL's models keep one row per ``event_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from clickstream.config import KinesisSinkConfig
from clickstream.errors import SinkError
from clickstream.ingestion.sinks import aws
from clickstream.ingestion.sinks.base import SegmentBatch, partition_key, set_aside
from clickstream.ingestion.sinks.retry import Backoff
from clickstream.storage import Storage

if TYPE_CHECKING:
    from mypy_boto3_kinesis.client import KinesisClient
    from mypy_boto3_kinesis.type_defs import PutRecordsRequestEntryTypeDef

MAX_RECORDS_PER_REQUEST = 500
MAX_BYTES_PER_REQUEST = 5 * 1024 * 1024
MAX_BYTES_PER_RECORD = 1024 * 1024  # data plus partition key


Entry = tuple[bytes, str]
"""One Kinesis record: data and partition key."""


def _size(entry: Entry) -> int:
    return len(entry[0]) + len(entry[1].encode())


def request_batches(entries: list[Entry]) -> list[list[Entry]]:
    """Consecutive groups of entries, each within the per-request record and byte limits."""
    batches: list[list[Entry]] = []
    current: list[Entry] = []
    size = 0
    for entry in entries:
        entry_size = _size(entry)
        if current and (len(current) == MAX_RECORDS_PER_REQUEST or size + entry_size > MAX_BYTES_PER_REQUEST):
            batches.append(current)
            current, size = [], 0
        current.append(entry)
        size += entry_size
    if current:
        batches.append(current)
    return batches


@dataclass
class KinesisSink:
    """Puts each raw record of a batch into ``stream``."""

    client: KinesisClient
    stream: str
    overflow: Storage
    backoff: Backoff = field(default_factory=Backoff)
    set_aside_records: int = 0

    @classmethod
    def from_config(cls, settings: KinesisSinkConfig, overflow: Storage) -> KinesisSink:
        return cls(
            client=aws.kinesis_client(settings.endpoint_url, settings.region),
            stream=settings.stream,
            overflow=overflow,
            backoff=Backoff(settings.max_attempts, settings.backoff_base_seconds, settings.backoff_max_seconds),
        )

    def put_segment(self, batch: SegmentBatch) -> None:
        entries: list[Entry] = []
        too_large: list[bytes] = []
        for record in batch.records():
            entry = (record, partition_key(record))
            if _size(entry) > MAX_BYTES_PER_RECORD:
                too_large.append(record)
            else:
                entries.append(entry)
        if too_large:
            set_aside(self.overflow, "kinesis", batch, too_large, MAX_BYTES_PER_RECORD)
            self.set_aside_records += len(too_large)
        for request in request_batches(entries):
            self._put_records(request, batch)

    def _put_records(self, entries: list[Entry], batch: SegmentBatch) -> None:
        """Send ``entries``; resend only the refused ones until all are in or the tries run out."""
        pending = entries
        for retry in range(self.backoff.attempts):
            try:
                records: list[PutRecordsRequestEntryTypeDef] = [{"Data": d, "PartitionKey": k} for d, k in pending]
                answer = self.client.put_records(StreamName=self.stream, Records=records)
            except Exception as exc:
                if not aws.is_transient(exc) or retry == self.backoff.attempts - 1:
                    raise aws.sink_error(f"PutRecords to Kinesis stream {self.stream!r}", exc) from exc
                self.backoff.wait(retry, "PutRecords", exc)
                continue
            if not answer.get("FailedRecordCount"):
                return
            refused = [
                (entry, result.get("ErrorCode", ""))
                for entry, result in zip(pending, answer["Records"], strict=True)
                if result.get("ErrorCode")
            ]
            pending = [entry for entry, _ in refused]
            reasons = sorted({code for _, code in refused})
            if retry == self.backoff.attempts - 1:
                raise SinkError(
                    f"Kinesis stream {self.stream!r} still refused {len(pending)} of the records of {batch.key} "
                    f"after {self.backoff.attempts} tries ({', '.join(reasons)})",
                    hint="add shards or capacity to the stream; the segment stays in the log and is shipped again",
                )
            self.backoff.wait(retry, "PutRecords", f"{len(pending)} records refused: {', '.join(reasons)}")

"""The ``s3`` sink: each segment becomes one gzip JSON-lines object under the raw key layout.

A single PUT (or a completed multipart upload) is durable and atomic once S3 answers, and readers
never see a partial object. The key depends only on the segment, so a re-ship overwrites the same
object rather than adding a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from clickstream.config import S3SinkConfig
from clickstream.ingestion.sinks import aws
from clickstream.ingestion.sinks.base import SegmentBatch
from clickstream.ingestion.sinks.retry import Backoff

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

CONTENT_TYPE = "application/x-ndjson"


@dataclass
class S3Sink:
    """Uploads batches to ``s3://<bucket>/<prefix><raw key>``; large ones in parts."""

    client: S3Client
    bucket: str
    prefix: str = ""
    multipart_threshold_bytes: int = 16 * 1024 * 1024
    multipart_part_bytes: int = 8 * 1024 * 1024
    backoff: Backoff = field(default_factory=Backoff)

    @classmethod
    def from_config(cls, settings: S3SinkConfig) -> S3Sink:
        return cls(
            client=aws.s3_client(settings.endpoint_url, settings.region),
            bucket=settings.bucket,
            prefix=settings.prefix,
            multipart_threshold_bytes=settings.multipart_threshold_bytes,
            multipart_part_bytes=settings.multipart_part_bytes,
            backoff=Backoff(settings.max_attempts, settings.backoff_base_seconds, settings.backoff_max_seconds),
        )

    def key_for(self, batch: SegmentBatch) -> str:
        return f"{self.prefix}{batch.key}"

    def put_segment(self, batch: SegmentBatch) -> None:
        key = self.key_for(batch)
        body = batch.gzipped()
        try:
            if len(body) > self.multipart_threshold_bytes:
                self._multipart(key, body)
            else:
                self._call(
                    f"PutObject s3://{self.bucket}/{key}",
                    self.client.put_object,
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentType=CONTENT_TYPE,
                    ContentEncoding="gzip",
                )
        except Exception as exc:
            raise aws.sink_error(f"uploading s3://{self.bucket}/{key}", exc) from exc

    def _call(self, what: str, operation: Any, **params: Any) -> Any:
        return self.backoff.call(what, lambda: operation(**params), aws.is_transient)

    def _multipart(self, key: str, body: bytes) -> None:
        """Parts are retried one by one; a failed upload is aborted so no orphaned parts are billed."""
        upload = self._call(
            f"CreateMultipartUpload s3://{self.bucket}/{key}",
            self.client.create_multipart_upload,
            Bucket=self.bucket,
            Key=key,
            ContentType=CONTENT_TYPE,
            ContentEncoding="gzip",
        )
        upload_id = upload["UploadId"]
        try:
            parts: list[CompletedPartTypeDef] = []
            for number, start in enumerate(range(0, len(body), self.multipart_part_bytes), start=1):
                answer = self._call(
                    f"UploadPart {number} s3://{self.bucket}/{key}",
                    self.client.upload_part,
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=body[start : start + self.multipart_part_bytes],
                )
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
            self._call(
                f"CompleteMultipartUpload s3://{self.bucket}/{key}",
                self.client.complete_multipart_upload,
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except Exception:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except Exception:  # the original error matters more; S3 lifecycle rules clean up leftovers
                aws.logger.warning("aborting a failed multipart upload failed", extra={"key": key})
            raise

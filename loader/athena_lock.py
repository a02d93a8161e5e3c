"""An exclusive load lock on S3 for the Athena warehouse: a lease object written with conditional puts.

S3 has no locks, but it has conditional writes: ``PutObject`` with ``If-None-Match: *`` creates the
object only if it is absent, and ``If-Match: <etag>`` replaces it only if nobody else wrote it since.
The holder writes its lease (who, since when, until when) and renews it from a background thread every
third of the lease. A holder that dies stops renewing; once its lease has expired, the next loader
replaces the object with ``If-Match`` on the etag it read, so of two loaders racing for a stale lock
exactly one wins. Leases compare wall-clock times of different machines: keep clocks in sync (NTP) and
the lease well above any skew. A holder that finds its lease taken (it was paused longer than the
lease) marks the lock lost, and the warehouse refuses to commit anything afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from clickstream.errors import LockBusy, WarehouseError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

logger = logging.getLogger("clickstream.loader.athena")

POLL_SECONDS = 0.2
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3LeaseLock:
    """The lease object ``s3://bucket/key``; :meth:`hold` holds it for a block."""

    def __init__(self, s3: S3Client, bucket: str, key: str, lease_seconds: float, purpose: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.key = key
        self.lease_seconds = lease_seconds
        self.purpose = purpose
        self.owner = uuid.uuid4().hex
        self.lost = False
        self._etag: str | None = None
        self._stop = threading.Event()

    @contextmanager
    def hold(self, timeout_seconds: float) -> Iterator[None]:
        """Hold the lock for the block; wait up to ``timeout_seconds`` for a live holder, else LockBusy."""
        self._acquire(timeout_seconds)
        self._stop.clear()
        renewer = threading.Thread(target=self._renew_until_stopped, name="s3-lease-renewer", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            self._stop.set()
            renewer.join()
            self._release()

    @property
    def held(self) -> bool:
        """Whether this process holds the lease now (acquired, not yet released, not lost)."""
        return self._etag is not None and not self.lost

    def check(self) -> None:
        """Raise unless the lease is still ours: called before anything is committed."""
        if self.lost:
            raise WarehouseError(
                f"the load lock s3://{self.bucket}/{self.key} was lost: taken over by another loader, "
                "or not renewed in time",
                hint="this process was paused or cut off from S3 longer than warehouse.athena.lock_lease_seconds "
                "allows; nothing more was committed; run the load again",
            )

    def _lease(self) -> bytes:
        now = time.time()
        return json.dumps(
            {
                "owner": self.owner,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.now(UTC).isoformat(),
                "expires_at": now + self.lease_seconds,
            }
        ).encode()

    def _put(self, **condition: str) -> str:
        response = self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=self._lease(), **condition)  # type: ignore[arg-type]
        return str(response["ETag"])

    def _acquire(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                self._etag = self._put(IfNoneMatch="*")
                return
            except botocore.exceptions.ClientError as exc:
                if _code(exc) not in _CONFLICT_CODES:
                    raise _s3_error(self, exc) from None
            holder, etag = self._read()
            if holder is not None and etag is not None and float(holder.get("expires_at", 0)) < time.time():
                try:
                    self._etag = self._put(IfMatch=etag)
                except botocore.exceptions.ClientError as exc:
                    if _code(exc) not in _CONFLICT_CODES and _code(exc) != "NoSuchKey":
                        raise _s3_error(self, exc) from None
                    continue  # another loader took it first, or it was released: look again
                logger.warning(
                    "recovered a stale load lock",
                    extra={"lock": f"s3://{self.bucket}/{self.key}", "holder": _describe(holder)},
                )
                return
            if holder is None:
                continue  # released between our put and our read
            if time.monotonic() >= deadline:
                raise LockBusy(
                    f"{self.purpose} is already running ({_describe(holder)}); waited {timeout_seconds:g}s",
                    hint="let it finish, or raise the lock timeout; a dead holder's lease expires "
                    "after warehouse.athena.lock_lease_seconds",
                )
            time.sleep(POLL_SECONDS)

    def _read(self) -> tuple[dict[str, Any] | None, str | None]:
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except botocore.exceptions.ClientError as exc:
            if _code(exc) == "NoSuchKey":
                return None, None
            raise _s3_error(self, exc) from None
        try:
            holder = json.loads(response["Body"].read())
        except ValueError:
            holder = {"expires_at": 0}  # unreadable: treat as expired rather than block forever
        return holder if isinstance(holder, dict) else {"expires_at": 0}, str(response["ETag"])

    def _renew_until_stopped(self) -> None:
        renewed = time.monotonic()
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                assert self._etag is not None
                self._etag = self._put(IfMatch=self._etag)
                renewed = time.monotonic()
            except botocore.exceptions.ClientError as exc:
                if _code(exc) in _CONFLICT_CODES or _code(exc) == "NoSuchKey":
                    self.lost = True
                    logger.error("the load lock was taken over", extra={"lock": f"s3://{self.bucket}/{self.key}"})
                    return
                logger.warning("could not renew the load lock; retrying", extra={"error": str(exc)})
            except Exception as exc:  # a network error must not end the renewals silently
                logger.warning("could not renew the load lock; retrying", extra={"error": repr(exc)})
            if time.monotonic() - renewed > self.lease_seconds * 2 / 3:
                self.lost = True  # another loader may take it over soon: commit nothing more
                logger.error(
                    "the load lock could not be renewed in time", extra={"lock": f"s3://{self.bucket}/{self.key}"}
                )
                return

    def _release(self) -> None:
        if self.lost or self._etag is None:
            return
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=self._etag)
        except botocore.exceptions.ClientError as exc:  # taken over or gone: not ours to delete any more
            logger.warning("could not release the load lock", extra={"error": str(exc)})
        self._etag = None


def _describe(holder: dict[str, Any]) -> str:
    return f"pid {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('since', '?')}"


def _s3_error(lock: S3LeaseLock, exc: botocore.exceptions.ClientError) -> WarehouseError:
    return WarehouseError(
        f"cannot use the load lock s3://{lock.bucket}/{lock.key}: {exc.response.get('Error', {}).get('Message', exc)}",
        hint="check warehouse.athena.ledger_location and the credentials' S3 permissions",
    )

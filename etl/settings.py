"""What the transform needs beyond the data: one picklable object, the same for every worker of a run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from clickstream.etl.enrich.privacy import IpPrivacy
from clickstream.etl.values import iso_msec
from clickstream.payload import DEFAULT_LIMITS, PayloadLimits


@dataclass(frozen=True)
class TransformSettings:
    """What the transform needs beyond the data; the same for every worker of one run."""

    project_id: str
    app_ids: frozenset[str]
    process_time: datetime
    job_id: str = "local"
    time_shift: bool = False
    freshness_hours: float | None = 72.0
    truncate_strings: bool = True
    ip_privacy: IpPrivacy = "none"  # none, truncate or hash: applied to source_ip before it is written
    ip_hash_salt: str = ""
    payload_limits: PayloadLimits = DEFAULT_LIMITS  # the collector's caps on a decoded body (ingestion.*)

    @cached_property
    def freshness_msec(self) -> int | None:
        return None if self.freshness_hours is None else int(self.freshness_hours * 3_600_000)

    @cached_property
    def process_time_msec(self) -> int:
        return int(self.process_time.timestamp() * 1000)

    @cached_property
    def job_info(self) -> dict[str, str]:
        """The ``process_info`` of rows not tied to one request (items and users)."""
        return {"process_job_id": self.job_id, "process_time": iso_msec(self.process_time_msec) or ""}

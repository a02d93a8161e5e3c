"""The freshness filter and time-shift rule of the original ETL (reference section 3.3), for one event time."""

from __future__ import annotations

from dataclasses import dataclass

from clickstream.contract import RejectReason
from clickstream.etl.decode import RejectedInput
from clickstream.etl.settings import TransformSettings

# Time shift (section 3.3 step 2): a gap between upload and ingest larger than this is a wrong device clock.
TIME_SHIFT_THRESHOLD_MSEC = 10 * 60 * 1000
# Events the freshness limit never drops: they carry first-touch and profile state.
FRESHNESS_EXEMPT = frozenset({"_first_open", "_first_visit", "_profile_set"})


@dataclass(frozen=True)
class TimeCheck:
    """The event time after the freshness and time-shift rules, and what ``process_info`` records of it."""

    event_time_msec: int
    shift_msec: int
    process_info: dict[str, str]


def check_time(
    timestamp: int, event_name: str, ingest: int | None, upload: int | None, settings: TransformSettings
) -> TimeCheck | None:
    """Apply the original's freshness filter and time-shift rule (section 3.3) to one event time.

    An event is in the future when its time is after the processing time. The shift (ingest minus
    upload time, when they differ by more than 10 minutes) applies with ``time_shift`` on, or to a
    future event; an event still in the future after it takes the ingest time. Raises ``stale_event``
    when the event reached the server later than the freshness limit (first-open, first-visit and
    profile events excepted) and ``future_event`` for a future event with no upload time to correct it.
    Returns None when the time stands as sent.
    """
    freshness = settings.freshness_msec
    now = settings.process_time_msec
    if (
        not settings.time_shift
        and timestamp <= now
        and (freshness is None or ingest is None or ingest - timestamp <= freshness)
    ):
        return None  # the common case, decided at once
    if (
        freshness is not None
        and ingest is not None
        and ingest - timestamp > freshness
        and event_name not in FRESHNESS_EXEMPT
    ):
        raise RejectedInput(
            RejectReason.STALE_EVENT,
            f"event time {timestamp} is {(ingest - timestamp) / 3_600_000:.1f} h before its arrival {ingest}; "
            f"the limit is etl.freshness_hours={settings.freshness_hours:g}",
        )
    is_future = timestamp > now
    if not (settings.time_shift or is_future):
        return None
    if ingest is None or upload is None:
        if is_future:
            raise RejectedInput(
                RejectReason.FUTURE_EVENT,
                f"event time {timestamp} is after the processing time {now} and the request has no "
                "ingest and upload time to correct the device clock",
            )
        return None
    shift = ingest - upload if abs(ingest - upload) > TIME_SHIFT_THRESHOLD_MSEC else 0
    adjusted = timestamp + shift
    reason = (
        f"ingestTimestamp is {ingest - upload} millis ahead of uploadTimestamp, isFutureEvent: {str(is_future).lower()}"
    )
    if adjusted > now:
        adjusted = ingest
        reason += "; still in the future, set to ingestTimestamp"
    if adjusted == timestamp:
        return None
    info = {
        "event_timestamp_adjusted": "true",
        "event_timestamp_adjusted_from": str(timestamp),
        "event_timestamp_adjusted_to": str(adjusted),
        "event_timestamp_adjusted_reason": reason,
    }
    return TimeCheck(adjusted, adjusted - timestamp, info)

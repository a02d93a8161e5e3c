"""``process_info`` times are the original's ISO text with milliseconds, formatted from cached prefixes."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from clickstream.etl.values import MAX_TIME_MSEC, iso_msec


@given(msec=st.integers(0, MAX_TIME_MSEC))
def test_a_time_reads_as_the_utc_calendar_time_with_milliseconds(msec: int) -> None:
    moment = datetime.fromtimestamp(msec // 1000, UTC)
    assert iso_msec(msec) == f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{msec % 1000:03d}Z"


def test_times_outside_1970_to_9999_have_no_text() -> None:
    assert iso_msec(-1) is None
    assert iso_msec(MAX_TIME_MSEC + 1) is None
    assert iso_msec(None) is None

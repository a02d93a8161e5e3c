"""Freshness and time shift (reference section 3.3): what happens to events whose clock looks wrong."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from clickstream.etl.process import InputOutput, process_content
from clickstream.etl.time_rules import check_time
from clickstream.etl.transform import RecordContext
from tests.support.etl import make_job

HOUR = 3_600_000
INGEST = 1_700_000_000_000  # 2023-11-14T22:13:20Z; the test jobs process at 2024-01-01


def run(timestamp: int, name: str = "_page_view", upload: int | None = None, **settings: object) -> InputOutput:
    event = {"event_id": "e", "app_id": "shop", "timestamp": timestamp, "event_type": name, "unique_id": "u",
             "attributes": {"_session_start_timestamp": timestamp}}  # fmt: skip
    uri = "/collect?appId=shop" + (f"&upload_timestamp={upload}" if upload is not None else "")
    record = {"appId": "shop", "data": orjson.dumps([event]).decode(), "ingest_time": INGEST, "uri": uri}
    return process_content(orjson.dumps(record), "f", "x", make_job(("shop",), **settings))


def test_an_event_older_than_the_freshness_limit_is_rejected_as_stale() -> None:
    output = run(INGEST - 73 * HOUR)
    assert [r["reason"] for r in output.rejects] == ["stale_event"]
    assert "etl.freshness_hours=72" in output.rejects[0]["detail"]


def test_first_open_and_profile_events_are_exempt_from_freshness() -> None:
    assert run(INGEST - 500 * HOUR, "_first_open").events.num_rows == 1
    assert run(INGEST - 500 * HOUR, "_profile_set").events.num_rows == 1


def test_freshness_can_be_switched_off() -> None:
    assert run(INGEST - 500 * HOUR, freshness_hours=None).events.num_rows == 1


def test_with_time_shift_on_a_device_clock_off_by_more_than_ten_minutes_is_corrected() -> None:
    [row] = run(INGEST - HOUR - 5_000, upload=INGEST - HOUR, time_shift=True).events.to_pylist()
    assert row["event_time_msec"] == INGEST - 5_000
    assert row["session_start_time_msec"] == INGEST - 5_000
    info = dict(row["process_info"])
    assert info["event_timestamp_adjusted_from"] == str(INGEST - HOUR - 5_000)
    assert info["event_timestamp_adjusted_reason"].startswith("ingestTimestamp is 3600000 millis ahead")


def test_a_gap_under_ten_minutes_is_not_shifted() -> None:
    [row] = run(INGEST - 60_000, upload=INGEST - 9 * 60_000, time_shift=True).events.to_pylist()
    assert row["event_time_msec"] == INGEST - 60_000
    assert "event_timestamp_adjusted" not in dict(row["process_info"])


def test_without_time_shift_times_are_kept_as_sent() -> None:
    [row] = run(INGEST - HOUR - 5_000, upload=INGEST - HOUR).events.to_pylist()
    assert row["event_time_msec"] == INGEST - HOUR - 5_000


def test_a_future_event_is_shifted_even_with_time_shift_off() -> None:
    future = 1_800_000_000_000  # 2027: after the processing time; the device uploaded 1 s after the event
    [row] = run(future, upload=future + 1_000, freshness_hours=None).events.to_pylist()
    assert row["event_time_msec"] == INGEST - 1_000  # the same 1 s before the server received it
    assert dict(row["process_info"])["event_timestamp_adjusted_reason"].endswith("isFutureEvent: true")


def test_an_event_still_in_the_future_after_the_shift_takes_the_ingest_time() -> None:
    future = 1_800_000_000_000
    [row] = run(future, upload=INGEST - HOUR, freshness_hours=None).events.to_pylist()
    assert row["event_time_msec"] == INGEST


def test_a_future_event_without_an_upload_time_is_rejected() -> None:
    output = run(1_800_000_000_000)
    assert [r["reason"] for r in output.rejects] == ["future_event"]


@settings(max_examples=500, deadline=None)
@given(
    timestamp=st.integers(0, 2 * INGEST),
    ingest=st.none() | st.integers(0, 2 * INGEST),
    freshness_hours=st.none() | st.sampled_from([0.5, 72.0]),
    time_shift=st.booleans(),
)
def test_times_the_transform_keeps_without_the_full_check_are_those_the_check_keeps(
    timestamp: int, ingest: int | None, freshness_hours: float | None, time_shift: bool
) -> None:
    job = make_job(("shop",), freshness_hours=freshness_hours, time_shift=time_shift)
    context = RecordContext({"appId": "shop", "ingest_time": ingest}, "f", job.settings)
    earliest, latest = context.time_as_sent
    if earliest <= timestamp <= latest:
        assert check_time(timestamp, "_page_view", ingest, None, job.settings) is None

"""``user_v2`` across inputs and runs, as the original's user state made it (reference section 3.3 step 4).

The original kept every user's rows of every batch (``etl_clickstream_user_props_*_v3``) and wrote, for each
user of a batch, the fold of all of them: properties from the latest batch that had a ``_profile_set``, first
touch from the earliest batch that had a first-touch event (``_first_open``, ``_first_visit``,
``_session_start``, ``_screen_view``), ``first_referrer`` the page referrer of that event.
``sp_merge_user_v2`` then kept the latest row per user. So a row from an input with no ``_profile_set`` or
no first-touch event keeps what the user had. Each test runs the real runner on raw files and reads the
Parquet it wrote; the expected values are read off the events written here.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from clickstream.etl.runner import process_file, run_etl
from clickstream.etl.users import USER_STATE, USERS_PENDING_DIR
from clickstream.storage import Storage
from tests.support.etl import make_job

JOB = make_job(("shop",))
HOUR = 3_600_000
T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
FIRST_TOUCH = T0 - 60_000  # the SDK's _user_first_touch_timestamp, a minute before the first event


def sdk_event(event_id: str, name: str, timestamp: int, user: dict[str, Any] | None = None,
              **attributes: Any) -> dict[str, Any]:  # fmt: skip
    user_object = {"_user_first_touch_timestamp": {"value": FIRST_TOUCH, "set_timestamp": FIRST_TOUCH}}
    for key, value in (user or {}).items():
        user_object[key] = {"value": value, "set_timestamp": timestamp}
    return {"event_id": event_id, "app_id": "shop", "timestamp": timestamp, "event_type": name,
            "unique_id": "u1", "platform": "Web", "user": user_object, "attributes": attributes}  # fmt: skip


def write_raw(home: Path, name: str, hour: int, events: list[dict[str, Any]]) -> None:
    record = {"appId": "shop", "data": orjson.dumps(events).decode(), "ingest_time": events[-1]["timestamp"],
              "uri": "/collect?appId=shop"}  # fmt: skip
    path = f"raw/year=2023/month=11/day=15/hour={hour:02d}/{name}.jsonl.gz"
    Storage(home).write_bytes(path, gzip.compress(json.dumps(record).encode() + b"\n"))


def user_rows(home: Path) -> dict[str, dict[str, Any]]:
    """The user_v2 row of user u1 in each input's file, by raw file name."""
    rows = {}
    for stored in Storage(home).list_files("processed/user_v2", ".parquet"):
        [row] = pq.read_table(home / stored.path).to_pylist()
        rows[stored.path.rsplit("-", 1)[-1].removesuffix(".parquet")] = row
    return rows


def properties(row: dict[str, Any]) -> dict[str, str]:
    return {key: value["value"] for key, value in row["user_properties"] or []}


def info(row: dict[str, Any]) -> dict[str, str]:
    return dict(row["process_info"])


PROFILE = {"_user_id": "alice", "_user_name": "Alice", "membership_level": "gold"}
FIRST_OPEN = sdk_event("e1", "_first_open", T0, _traffic_source_source="google", _traffic_source_medium="cpc",
                       _page_referrer="https://www.google.com/")  # fmt: skip
PROFILE_SET = sdk_event("e2", "_profile_set", T0 + 1_000, PROFILE)
LATER_VIEW = sdk_event("e3", "_page_view", T0 + HOUR, {"_user_id": "alice"}, _page_title="Home")


def test_a_later_input_without_a_profile_set_keeps_the_properties_of_an_earlier_run(tmp_path: Path) -> None:
    write_raw(tmp_path, "000001", 1, [FIRST_OPEN, PROFILE_SET])
    run_etl(tmp_path, JOB)
    write_raw(tmp_path, "000002", 2, [LATER_VIEW])  # its user object holds _user_id only: not a profile
    run_etl(tmp_path, JOB)
    later = user_rows(tmp_path)["000002"]
    # The _profile_set's user object: the three attributes set plus the SDK's first-touch timestamp.
    assert properties(later) == {**PROFILE, "_user_first_touch_timestamp": str(FIRST_TOUCH)}
    assert json.loads(later["user_properties_json_str"])["membership_level"]["value"] == "gold"


def test_inputs_of_one_run_share_the_users_state(tmp_path: Path) -> None:
    write_raw(tmp_path, "000001", 1, [FIRST_OPEN, PROFILE_SET])
    write_raw(tmp_path, "000002", 2, [LATER_VIEW])
    run_etl(tmp_path, JOB, workers=2)
    rows = user_rows(tmp_path)
    assert properties(rows["000001"]) == properties(rows["000002"]) == {
        **PROFILE, "_user_first_touch_timestamp": str(FIRST_TOUCH)
    }  # fmt: skip


def test_the_latest_profile_set_wins_and_later_events_do_not_erase_it(tmp_path: Path) -> None:
    write_raw(tmp_path, "000001", 1, [FIRST_OPEN, PROFILE_SET])
    run_etl(tmp_path, JOB)
    downgrade = sdk_event("e4", "_profile_set", T0 + 2 * HOUR, {**PROFILE, "membership_level": "basic"})
    write_raw(tmp_path, "000002", 2, [downgrade])
    run_etl(tmp_path, JOB)
    write_raw(tmp_path, "000003", 3, [sdk_event("e5", "_page_view", T0 + 3 * HOUR, {"_user_id": "alice"})])
    run_etl(tmp_path, JOB)
    rows = user_rows(tmp_path)
    assert properties(rows["000002"])["membership_level"] == "basic"
    assert properties(rows["000003"])["membership_level"] == "basic"


def test_an_input_without_the_first_touch_event_keeps_the_users_first_touch(tmp_path: Path) -> None:
    write_raw(tmp_path, "000001", 1, [FIRST_OPEN])
    run_etl(tmp_path, JOB)
    write_raw(tmp_path, "000002", 2, [LATER_VIEW])
    run_etl(tmp_path, JOB)
    later = user_rows(tmp_path)["000002"]
    first = {key: later[key] for key in ("first_touch_time_msec", "first_referrer", "first_traffic_source",
                                         "first_traffic_medium")}  # fmt: skip
    assert first == {"first_touch_time_msec": FIRST_TOUCH, "first_referrer": "https://www.google.com/",
                     "first_traffic_source": "google", "first_traffic_medium": "cpc"}  # fmt: skip
    assert later["first_visit_date"].isoformat() == "2023-11-14"  # 1699999940000 ms is 22:12:20 UTC
    # The row stays the input's own: its latest event and its time; the first event is the user's.
    assert later["event_timestamp"].timestamp() * 1000 == T0 + HOUR
    assert (info(later)["first_event_name"], info(later)["latest_event_name"]) == ("_first_open", "_page_view")


def test_the_user_id_is_the_latest_one_seen(tmp_path: Path) -> None:
    write_raw(tmp_path, "000001", 1, [FIRST_OPEN, PROFILE_SET])
    run_etl(tmp_path, JOB)
    write_raw(tmp_path, "000002", 2, [sdk_event("e6", "_page_view", T0 + HOUR)])  # signed out: no _user_id
    run_etl(tmp_path, JOB)
    assert user_rows(tmp_path)["000002"]["user_id"] == "alice"


def test_first_referrer_is_the_page_referrer_only(tmp_path: Path) -> None:
    # A web first visit with an empty latest referrer and no page referrer: the original's first_referrer is
    # the first-touch event's page_view_page_referrer, NULL here, never the latest referrer ('' or a URL).
    first_visit = sdk_event("e1", "_first_open", T0, _latest_referrer="")
    session = sdk_event("e2", "_session_start", T0 + 1, _latest_referrer="https://news.example/")
    write_raw(tmp_path, "000001", 1, [first_visit, session])
    run_etl(tmp_path, JOB)
    assert user_rows(tmp_path)["000001"]["first_referrer"] is None


def test_a_user_never_seen_with_a_first_touch_event_has_no_first_touch(tmp_path: Path) -> None:
    write_raw(tmp_path, "000001", 1, [LATER_VIEW])
    run_etl(tmp_path, JOB)
    row = user_rows(tmp_path)["000001"]
    assert (row["first_touch_time_msec"], row["first_traffic_source"], row["user_properties"]) == (None, None, None)
    assert "first_event_name" not in info(row)


def test_an_input_processed_after_a_later_one_still_yields_the_latest_profile(tmp_path: Path) -> None:
    downgrade = sdk_event("e4", "_profile_set", T0 + 2 * HOUR, {**PROFILE, "membership_level": "basic"})
    write_raw(tmp_path, "000002", 2, [downgrade])
    run_etl(tmp_path, JOB)
    write_raw(tmp_path, "000001", 1, [FIRST_OPEN, PROFILE_SET])  # arrives late; its profile is older
    run_etl(tmp_path, JOB)
    rows = user_rows(tmp_path)
    assert properties(rows["000001"])["membership_level"] == "basic"
    assert rows["000001"]["first_traffic_source"] == "google"


def test_a_run_stopped_before_the_user_step_is_completed_by_the_next_run(tmp_path: Path) -> None:
    write_raw(tmp_path, "000001", 1, [FIRST_OPEN, PROFILE_SET])
    run_etl(tmp_path, JOB)
    write_raw(tmp_path, "000002", 2, [LATER_VIEW])
    # The file is processed and marked done, and the run stops before folding users.
    process_file(str(tmp_path), "raw/year=2023/month=11/day=15/hour=02/000002.jsonl.gz", JOB)
    assert properties(user_rows(tmp_path)["000002"]) == {}
    assert run_etl(tmp_path, JOB).files_processed == 0
    assert properties(user_rows(tmp_path)["000002"])["membership_level"] == "gold"
    assert Storage(tmp_path).list_files(USERS_PENDING_DIR) == []


def test_reprocessing_every_input_gives_the_same_rows_and_state(tmp_path: Path) -> None:
    write_raw(tmp_path, "000001", 1, [FIRST_OPEN, PROFILE_SET])
    write_raw(tmp_path, "000002", 2, [LATER_VIEW])
    run_etl(tmp_path, JOB)
    rows, state = user_rows(tmp_path), pq.read_table(tmp_path / USER_STATE)
    run_etl(tmp_path, JOB, reprocess=True)
    assert user_rows(tmp_path) == rows
    assert pq.read_table(tmp_path / USER_STATE).equals(state)
    assert state.num_rows == 1


def test_inputs_of_one_run_are_folded_by_the_times_of_the_events_themselves(tmp_path: Path) -> None:
    # Two collector files of one run, both spanning the day (as the original's one batch would hold them).
    # File 1: a _session_start from a newsletter at T0+30 min and the gold _profile_set at T0+3 h.
    # File 2: the _first_open from google at T0, a basic _profile_set at T0+1 h, a page view at T0+4 h.
    # By event time: first touch is file 2's _first_open (T0 < T0+30 min), the latest profile file 1's
    # (T0+3 h > T0+1 h), although file 2's row is the later one (T0+4 h against T0+3 h).
    newsletter = sdk_event("n1", "_session_start", T0 + HOUR // 2, _traffic_source_source="newsletter")
    gold = sdk_event("n2", "_profile_set", T0 + 3 * HOUR, PROFILE)
    basic = sdk_event("g2", "_profile_set", T0 + HOUR, {**PROFILE, "membership_level": "basic"})
    view = sdk_event("g3", "_page_view", T0 + 4 * HOUR)
    write_raw(tmp_path, "000001", 1, [newsletter, gold])
    write_raw(tmp_path, "000002", 1, [FIRST_OPEN, basic, view])
    run_etl(tmp_path, JOB)
    for name, row in user_rows(tmp_path).items():
        assert (row["first_traffic_source"], info(row)["first_event_name"]) == ("google", "_first_open"), name
        assert properties(row)["membership_level"] == "gold", name


def test_a_first_open_beats_a_session_start_of_the_same_millisecond_whatever_their_ids(tmp_path: Path) -> None:
    # The SDK sends _first_open, then _session_start, stamped alike; the original kept that order. The
    # session start's id sorts first here, so only the kind can make the first open win.
    session_start = sdk_event("a-start", "_session_start", T0, _traffic_source_source="newsletter",
                              _traffic_source_medium="email")  # fmt: skip
    first_open = sdk_event("b-open", "_first_open", T0, _traffic_source_source="google", _traffic_source_medium="cpc")
    write_raw(tmp_path, "000001", 1, [first_open, session_start])
    run_etl(tmp_path, JOB)
    [row] = user_rows(tmp_path).values()
    assert (row["first_traffic_source"], row["first_traffic_medium"]) == ("google", "cpc")
    assert info(row)["first_event_name"] == "_first_open"

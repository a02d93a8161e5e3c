"""The user fold (Arrow sorts per chunk) picks the same rows as the rule stated row by row.

The rule, as ``clickstream.etl.users`` documents it: visiting a user's events in input order, the earliest and latest
``(event time, event id)``, the latest ``user_id``, the user object of the latest ``_profile_set`` (no other
event's) and the earliest first-touch event win, and among equal keys the first
seen stays. The reference below states exactly that, one row at a time; the fold must give the same
``user_v2`` rows however the events are cut into chunks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from clickstream.contract import EVENT_V2
from clickstream.etl.arrow_rows import build_table
from clickstream.etl.batch import TRANSIENT_COLUMNS
from clickstream.etl.settings import TransformSettings
from clickstream.etl.users import _FIRST_TOUCH_FIELDS, FIRST_TOUCH_EVENTS, UserAccumulator, _UserState

SETTINGS = TransformSettings(
    project_id="p", app_ids=frozenset({"a", "b"}), process_time=datetime(2024, 1, 1, tzinfo=UTC)
)
NAMES = [*sorted(FIRST_TOUCH_EVENTS), "_profile_set", "_page_view", "purchase"]
READ = ("app_id", "user_pseudo_id", "event_time_msec", "event_id", "event_name", "user_id", "_user")


def reference_fold(rows: list[dict[str, Any]]) -> dict[tuple[str, str], _UserState]:
    users: dict[tuple[str, str], _UserState] = {}
    for row in rows:
        app_id, pseudo_id, time, event_id, name, user_id, user_json = (row[column] for column in READ)
        key = (time, event_id)
        state = users.get((app_id, pseudo_id))
        if state is None:
            state = users[(app_id, pseudo_id)] = _UserState(key, name, key, name)
        if key < state.earliest:
            state.earliest, state.earliest_name = key, name
        if key > state.latest:
            state.latest, state.latest_name = key, name
        if user_id is not None and (state.user_id is None or key > state.user_id[0]):
            state.user_id = (key, user_id)
        if user_json is not None and name == "_profile_set" and (state.profile is None or key > state.profile[0]):
            state.profile = (key, user_json)
        touch_key = (time, FIRST_TOUCH_EVENTS.index(name), event_id) if name in FIRST_TOUCH_EVENTS else None
        if touch_key and (state.first_touch is None or touch_key < state.first_touch[0]):
            state.first_touch = (touch_key, name, tuple(row.get(field) for field in _FIRST_TOUCH_FIELDS))
    return users


def event_table(rows: list[dict[str, Any]]) -> pa.Table:
    names = [*EVENT_V2.column_names, *TRANSIENT_COLUMNS]
    return build_table(EVENT_V2, names, [tuple(row.get(name) for name in names) for row in rows], TRANSIENT_COLUMNS)


# Few users, times, ids and names, so that ties on (time, event id) are common.
event_rows = st.lists(
    st.fixed_dictionaries(
        {
            "app_id": st.sampled_from(["a", "b"]),
            "user_pseudo_id": st.sampled_from(["u1", "u2", "ü3"]),
            "event_time_msec": st.integers(1_700_000_000_000, 1_700_000_000_003),
            "event_id": st.sampled_from(["e1", "e2", "E3", "é4"]),
            "event_name": st.sampled_from(NAMES),
            "user_id": st.none() | st.sampled_from(["id1", "id2"]),
            "_user": st.none() | st.sampled_from(['{"x":1}', '{"x":2}', '{"y":3}']),
            "page_view_page_referrer": st.none() | st.sampled_from(["r1", "r2"]),
            "traffic_source_source": st.none() | st.sampled_from(["s1", "s2"]),
            "user_first_touch_time_msec": st.none() | st.integers(1, 3),
        }
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(rows=event_rows, cuts=st.lists(st.integers(0, 40), max_size=3))
def test_the_fold_gives_the_rows_of_the_row_by_row_rule_however_the_chunks_are_cut(
    rows: list[dict[str, Any]], cuts: list[int]
) -> None:
    folded = UserAccumulator()
    bounds = sorted({0, len(rows), *(cut for cut in cuts if cut < len(rows))})
    for start, end in pairwise(bounds):
        folded.add(event_table(rows[start:end]))
    expected = UserAccumulator()
    expected._users = reference_fold(rows)
    assert folded._users == expected._users
    assert folded.table(SETTINGS).equals(expected.table(SETTINGS))

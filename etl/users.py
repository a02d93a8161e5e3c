"""``user_v2`` rows of one input: one per app and ``user_pseudo_id`` seen (reference section 3.3 step 4).

Built from the enriched ``event_v2`` chunks, so first-touch traffic fields are the classified ones. Each
user gets the latest ``user_id``, the properties of the latest ``_profile_set`` (else of the latest event
carrying a user object), first-touch fields from the earliest qualifying event, and the original's
``process_info``. The dbt models merge inputs. Ties on time break on ``event_id`` so the result does not
depend on the order events arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from clickstream.contract import USER_V2
from etl.arrow_rows import build_table
from etl.settings import TransformSettings
from etl.transform import user_properties, user_properties_json
from etl.values import msec_to_datetime

FIRST_TOUCH_EVENTS = frozenset({"_first_open", "_first_visit", "_session_start", "_screen_view"})
_TRAFFIC_PARTS = (
    "source", "medium", "campaign", "content", "term", "campaign_id", "clid_platform", "clid", "channel_group",
    "category",
)  # fmt: skip
_FIRST_TOUCH_FIELDS = (
    "user_first_touch_time_msec",
    "page_view_page_referrer",
    "page_view_latest_referrer",
    "app_install_source",
    *(f"traffic_source_{part}" for part in _TRAFFIC_PARTS),
)
_READ = ("app_id", "user_pseudo_id", "event_time_msec", "event_id", "event_name", "user_id", "_user")

_Key = tuple[int, str]  # (event time, event id): the order of a user's events


@dataclass
class _UserState:
    earliest: _Key
    earliest_name: str
    latest: _Key
    latest_name: str
    user_id: tuple[_Key, str] | None = None
    profile: tuple[bool, _Key, str] | None = None  # (is _profile_set, when, user object JSON)
    first_touch: tuple[_Key, str, tuple[Any, ...]] | None = None  # (when, event name, _FIRST_TOUCH_FIELDS)


class UserAccumulator:
    """Folds enriched event chunks into one state per user, then emits ``user_v2`` rows."""

    def __init__(self) -> None:
        self._users: dict[tuple[str, str], _UserState] = {}

    def add(self, events: pa.Table) -> None:
        columns = [events.column(name).to_pylist() for name in _READ]
        touch_rows = _first_touch_rows(events)
        touch_values = [events.column(name).to_pylist() for name in _FIRST_TOUCH_FIELDS] if touch_rows else []
        users = self._users
        for position, (app_id, pseudo_id, time, event_id, name, user_id, user_json) in enumerate(
            zip(*columns, strict=True)
        ):
            key = (time, event_id)
            state = users.get((app_id, pseudo_id))
            if state is None:
                state = users[(app_id, pseudo_id)] = _UserState(key, name, key, name)
            else:
                if key < state.earliest:
                    state.earliest, state.earliest_name = key, name
                if key > state.latest:
                    state.latest, state.latest_name = key, name
            if user_id is not None and (state.user_id is None or key > state.user_id[0]):
                state.user_id = (key, user_id)
            if user_json is not None:
                candidate = (name == "_profile_set", key, user_json)
                if state.profile is None or candidate[:2] > state.profile[:2]:
                    state.profile = candidate
            if position in touch_rows and (state.first_touch is None or key < state.first_touch[0]):
                state.first_touch = (key, name, tuple(values[position] for values in touch_values))

    def table(self, settings: TransformSettings) -> pa.Table:
        rows = [
            _user_row(app_id, pseudo_id, state, settings.job_info)
            for (app_id, pseudo_id), state in sorted(self._users.items())
        ]
        return build_table(USER_V2, _USER_COLUMNS, rows)

    def __len__(self) -> int:
        return len(self._users)


def _first_touch_rows(events: pa.Table) -> set[int]:
    names = events.column("event_name").to_pylist()
    return {position for position, name in enumerate(names) if name in FIRST_TOUCH_EVENTS}


_USER_COLUMNS = (
    "event_timestamp", "user_pseudo_id", "user_id", "user_properties", "user_properties_json_str",
    "first_touch_time_msec", "first_visit_date", "first_referrer",
    *(f"first_traffic_{part}" for part in _TRAFFIC_PARTS),
    "first_app_install_source", "app_id", "process_info",
)  # fmt: skip


def _user_row(app_id: str, pseudo_id: str, state: _UserState, job_info: dict[str, str]) -> tuple[Any, ...]:
    user = orjson.loads(state.profile[2]) if state.profile else None
    touch = state.first_touch[2] if state.first_touch else (None,) * len(_FIRST_TOUCH_FIELDS)
    first_touch_msec, page_referrer, latest_referrer, install_source, *traffic = touch
    first_touch_time = msec_to_datetime(first_touch_msec)
    info = {
        "first_event_name": state.first_touch[1] if state.first_touch else None,
        "latest_event_name": state.latest_name,
        **job_info,
    }
    return (
        state.latest[0],
        pseudo_id,
        state.user_id[1] if state.user_id else None,
        user_properties(user) if user else None,
        user_properties_json(user) if user else None,
        first_touch_msec,
        first_touch_time.astimezone(UTC).date() if isinstance(first_touch_time, datetime) else None,
        page_referrer or latest_referrer,
        *traffic,
        install_source,
        app_id,
        {key: value for key, value in info.items() if value is not None},
    )

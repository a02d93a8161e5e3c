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
import pyarrow.compute as pc

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
        """Fold a chunk in: Arrow sorts find each user's candidates, and Python sees one row per user and rule.

        Equivalent to visiting the rows in order and keeping the first row seen among equal keys (the
        comparisons are strict): sorts are stable, so among equal keys the earliest row in the chunk comes
        first in either direction, and earlier chunks win ties with later ones.
        """
        if events.num_rows == 0:
            return
        users = self._users
        ascending, descending = _orders(events)
        app_ids, pseudo_ids = events.column("app_id"), events.column("user_pseudo_id")
        # Earliest and latest event of each user: the first row of each user's run in either order.
        for app_id, pseudo_id, time, event_id, name in _firsts(events, ascending, _KEY_READ):
            key = (time, event_id)
            state = users.get((app_id, pseudo_id))
            if state is None:
                users[(app_id, pseudo_id)] = _UserState(key, name, key, name)
            elif key < state.earliest:
                state.earliest, state.earliest_name = key, name
        for app_id, pseudo_id, time, event_id, name in _firsts(events, descending, _KEY_READ):
            state = users[(app_id, pseudo_id)]
            key = (time, event_id)
            if key > state.latest:
                state.latest, state.latest_name = key, name
        # The latest user id.
        with_user_id = _subset(descending, pc.is_valid(events.column("user_id")))
        for app_id, pseudo_id, time, event_id, user_id in _firsts(events, with_user_id, _USER_ID_READ):
            state = users[(app_id, pseudo_id)]
            key = (time, event_id)
            if state.user_id is None or key > state.user_id[0]:
                state.user_id = (key, user_id)
        # The user object of the latest _profile_set, else of the latest event carrying one: per user, the
        # latest of each kind, then the later of the two by (is _profile_set, key), as row by row.
        has_user = pc.is_valid(events.column("_user"))
        names = events.column("event_name")
        profile_sets = pc.and_(has_user, pc.equal(names, _PROFILE_SET))
        for rows in (
            _subset(descending, profile_sets),
            _subset(descending, has_user),
        ):
            for app_id, pseudo_id, time, event_id, name, user_json in _firsts(events, rows, _PROFILE_READ):
                state = users[(app_id, pseudo_id)]
                candidate = (name == "_profile_set", (time, event_id), user_json)
                if state.profile is None or candidate[:2] > state.profile[:2]:
                    state.profile = candidate
        # First touch: the earliest qualifying event.
        touches = _subset(ascending, pc.is_in(names, value_set=_FIRST_TOUCH_NAMES))
        if len(touches):
            firsts = _first_of_runs(touches, app_ids, pseudo_ids)
            head = [pc.take(events.column(name), firsts).to_pylist() for name in _KEY_READ]
            touch_values = [pc.take(events.column(name), firsts).to_pylist() for name in _FIRST_TOUCH_FIELDS]
            for position, (app_id, pseudo_id, time, event_id, name) in enumerate(zip(*head, strict=True)):
                state = users[(app_id, pseudo_id)]
                key = (time, event_id)
                if state.first_touch is None or key < state.first_touch[0]:
                    state.first_touch = (key, name, tuple(values[position] for values in touch_values))

    def table(self, settings: TransformSettings) -> pa.Table:
        rows = [
            _user_row(app_id, pseudo_id, state, settings.job_info)
            for (app_id, pseudo_id), state in sorted(self._users.items())
        ]
        return build_table(USER_V2, _USER_COLUMNS, rows)

    def __len__(self) -> int:
        return len(self._users)


_PROFILE_SET = pa.scalar("_profile_set")
_FIRST_TOUCH_NAMES = pa.array(sorted(FIRST_TOUCH_EVENTS), pa.string())
_KEY_READ = ("app_id", "user_pseudo_id", "event_time_msec", "event_id", "event_name")
_USER_ID_READ = ("app_id", "user_pseudo_id", "event_time_msec", "event_id", "user_id")
_PROFILE_READ = (*_KEY_READ, "_user")
_USER_ORDER = [("app_id", "ascending"), ("user_pseudo_id", "ascending")]


def _orders(events: pa.Table) -> tuple[pa.Array, pa.Array]:
    """Row numbers by user, then by (event time, event id) ascending and descending; stable sorts."""
    keys = events.select(["app_id", "user_pseudo_id", "event_time_msec", "event_id"])
    ascending = pc.sort_indices(
        keys, sort_keys=[*_USER_ORDER, ("event_time_msec", "ascending"), ("event_id", "ascending")]
    )
    descending = pc.sort_indices(
        keys, sort_keys=[*_USER_ORDER, ("event_time_msec", "descending"), ("event_id", "descending")]
    )
    return ascending, descending


def _subset(order: pa.Array, mask: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The row numbers of ``order`` whose row is in ``mask``, still in that order."""
    return pc.filter(order, pc.take(mask, order))


def _first_of_runs(order: pa.Array, app_ids: pa.ChunkedArray, pseudo_ids: pa.ChunkedArray) -> pa.Array:
    """The first row number of each user's run in ``order`` (rows grouped by user)."""
    count = len(order)
    if count < 2:
        return order
    apps = pc.take(app_ids, order).combine_chunks()
    pseudos = pc.take(pseudo_ids, order).combine_chunks()
    changed = pc.or_(
        pc.not_equal(apps.slice(0, count - 1), apps.slice(1)),
        pc.not_equal(pseudos.slice(0, count - 1), pseudos.slice(1)),
    )
    return pc.filter(order, pa.concat_arrays([_TRUE, changed]))


_TRUE = pa.array([True])


def _firsts(events: pa.Table, order: pa.Array, names: tuple[str, ...]) -> Any:
    """The values of ``names`` in the first row of each user's run in ``order``, as rows of Python values."""
    if len(order) == 0:
        return ()
    firsts = _first_of_runs(order, events.column("app_id"), events.column("user_pseudo_id"))
    return zip(*(pc.take(events.column(name), firsts).to_pylist() for name in names), strict=True)


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

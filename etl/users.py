"""``user_v2`` rows of one input: one per app and ``user_pseudo_id`` seen (reference section 3.3 step 4).

Built from the enriched ``event_v2`` chunks, so first-touch traffic fields are the classified ones. Each
user gets the latest ``user_id``, the properties of the latest ``_profile_set`` (none without one: other
events' user objects are not the user's profile, as in the original), first-touch fields from the earliest
qualifying event (``first_referrer`` is its page referrer, as the original's), and the original's
``process_info``. Ties on time break on ``event_id`` so the result does not depend on the order events
arrive in.

That is one input's view of its users. :func:`carry_user_state` then does what the original's user state
tables (``etl_clickstream_user_props_*_v3``) did: after a run it folds each user's rows of the run into the
user's state over every earlier run (``etl-state/users.parquet``) and rewrites the run's ``user_v2`` files
with it, so a row from an input without a ``_profile_set`` or a first-touch event keeps the properties and
the first touch its user had.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from pathlib import PurePosixPath
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from clickstream.contract import ETL_STATE_DIR, STRING_MAP, USER_V2
from clickstream.etl.arrow_rows import build_table
from clickstream.etl.settings import TransformSettings
from clickstream.etl.transform import user_properties, user_properties_json
from clickstream.etl.values import msec_to_datetime
from clickstream.storage import Storage

# The events a first touch is read from; in one millisecond, the earlier in this order wins.
FIRST_TOUCH_EVENTS = ("_first_open", "_first_visit", "_session_start", "_screen_view")
_TRAFFIC_PARTS = (
    "source", "medium", "campaign", "content", "term", "campaign_id", "clid_platform", "clid", "channel_group",
    "category",
)  # fmt: skip
_FIRST_TOUCH_FIELDS = (
    "user_first_touch_time_msec",
    "page_view_page_referrer",
    "app_install_source",
    *(f"traffic_source_{part}" for part in _TRAFFIC_PARTS),
)

_Key = tuple[int, str]  # (event time, event id): the order of a user's events
_TouchKey = tuple[int, int, str]  # (event time, rank of its kind in FIRST_TOUCH_EVENTS, event id)


@dataclass
class _UserState:
    earliest: _Key
    earliest_name: str
    latest: _Key
    latest_name: str
    user_id: tuple[_Key, str] | None = None
    profile: tuple[_Key, str] | None = None  # (when, user object JSON) of the latest _profile_set
    first_touch: tuple[_TouchKey, str, tuple[Any, ...]] | None = None  # (when, event name, _FIRST_TOUCH_FIELDS)


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
        # The user object of the latest _profile_set.
        names = events.column("event_name")
        profile_sets = pc.and_(pc.is_valid(events.column("_user")), pc.equal(names, _PROFILE_SET))
        for app_id, pseudo_id, time, event_id, user_json in _firsts(
            events, _subset(descending, profile_sets), _PROFILE_READ
        ):
            state = users[(app_id, pseudo_id)]
            key = (time, event_id)
            if state.profile is None or key > state.profile[0]:
                state.profile = (key, user_json)
        # First touch: the earliest qualifying event; in one millisecond the first open (or visit), then the
        # session start, then a screen view, the order the SDK sends them in (the original kept it).
        touches = _touch_order(events)
        if len(touches):
            firsts = _first_of_runs(touches, app_ids, pseudo_ids)
            head = [pc.take(events.column(name), firsts).to_pylist() for name in _KEY_READ]
            touch_values = [pc.take(events.column(name), firsts).to_pylist() for name in _FIRST_TOUCH_FIELDS]
            for position, (app_id, pseudo_id, time, event_id, name) in enumerate(zip(*head, strict=True)):
                state = users[(app_id, pseudo_id)]
                touch_key = (time, _FIRST_TOUCH_RANK[name], event_id)
                if state.first_touch is None or touch_key < state.first_touch[0]:
                    state.first_touch = (touch_key, name, tuple(values[position] for values in touch_values))

    def table(self, settings: TransformSettings) -> pa.Table:
        rows = [
            _user_row(app_id, pseudo_id, state, settings.job_info)
            for (app_id, pseudo_id), state in sorted(self._users.items())
        ]
        return build_table(USER_V2, _USER_COLUMNS, rows)

    def value_times(self) -> list[tuple[str, str, int | None, int | None, int | None]]:
        """Per user: the times of the events its user id, properties and first touch came from."""
        return [
            (
                app_id,
                pseudo_id,
                state.user_id[0][0] if state.user_id else None,
                state.profile[0][0] if state.profile else None,
                state.first_touch[0][0] if state.first_touch else None,
            )
            for (app_id, pseudo_id), state in self._users.items()
        ]

    def __len__(self) -> int:
        return len(self._users)


_PROFILE_SET = pa.scalar("_profile_set")
_FIRST_TOUCH_RANK = {name: rank for rank, name in enumerate(FIRST_TOUCH_EVENTS)}
_FIRST_TOUCH_NAMES = pa.array(FIRST_TOUCH_EVENTS, pa.string())
_KEY_READ = ("app_id", "user_pseudo_id", "event_time_msec", "event_id", "event_name")
_USER_ID_READ = ("app_id", "user_pseudo_id", "event_time_msec", "event_id", "user_id")
_PROFILE_READ = ("app_id", "user_pseudo_id", "event_time_msec", "event_id", "_user")
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


def _touch_order(events: pa.Table) -> pa.Array:
    """Row numbers of the first-touch events by user, then by time, kind (``FIRST_TOUCH_EVENTS``) and id."""
    rows = pc.indices_nonzero(pc.is_in(events.column("event_name"), value_set=_FIRST_TOUCH_NAMES))
    if len(rows) == 0:
        return rows
    keys = {name: pc.take(events.column(name), rows) for name in ("app_id", "user_pseudo_id", "event_time_msec")}
    keys["rank"] = pc.index_in(pc.take(events.column("event_name"), rows), value_set=_FIRST_TOUCH_NAMES)
    keys["event_id"] = pc.take(events.column("event_id"), rows)
    order = [*_USER_ORDER, ("event_time_msec", "ascending"), ("rank", "ascending"), ("event_id", "ascending")]
    return pc.take(rows, pc.sort_indices(pa.table(keys), sort_keys=order))


def _subset(order: pa.Array, mask: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The row numbers of ``order`` whose row is in ``mask``, still in that order."""
    return pc.filter(order, pc.take(mask, order))


def _first_of_runs(order: pa.Array | pa.ChunkedArray, *keys: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The first row number of each run of equal ``keys`` in ``order`` (rows grouped by those key columns)."""
    order = _one_chunk(order)
    count = len(order)
    if count < 2:
        return order
    changed = None
    for key in keys:
        ordered = _one_chunk(pc.take(key, order))
        differs = pc.not_equal(ordered.slice(0, count - 1), ordered.slice(1))
        changed = differs if changed is None else pc.or_(changed, differs)
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
    user = orjson.loads(state.profile[1]) if state.profile else None
    touch = state.first_touch[2] if state.first_touch else (None,) * len(_FIRST_TOUCH_FIELDS)
    first_touch_msec, page_referrer, install_source, *traffic = touch
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
        page_referrer,
        *traffic,
        install_source,
        app_id,
        {key: value for key, value in info.items() if value is not None},
    )


# Cross-run user state (the original's etl_clickstream_user_props_full_v3): one user_v2-shaped row per app and
# user, folded from every run's rows, plus the event times its values were chosen by. An input whose user_v2
# rows are not folded in yet leaves a marker under USERS_PENDING_DIR (written before its done marker): its
# users' event times, and its user_v2 files in the schema metadata.
USER_STATE = PurePosixPath(ETL_STATE_DIR, "users.parquet")
USERS_PENDING_DIR = PurePosixPath(ETL_STATE_DIR, "users-pending")
_FIRST_COLUMNS = (
    "first_touch_time_msec", "first_visit_date", "first_referrer",
    *(f"first_traffic_{part}" for part in _TRAFFIC_PARTS),
    "first_app_install_source",
)  # fmt: skip
# When the user id, the properties and the first touch were seen: the time of the event they came from.
_USER_ID_AT, _PROFILE_AT, _FIRST_TOUCH_AT = "_user_id_msec", "_profile_msec", "_first_touch_msec"
_KEY_FIELDS = [pa.field(name, pa.int64()) for name in (_USER_ID_AT, _PROFILE_AT, _FIRST_TOUCH_AT)]
_PENDING_SCHEMA = pa.schema([pa.field("app_id", pa.string()), pa.field("user_pseudo_id", pa.string()), *_KEY_FIELDS])
USER_STATE_SCHEMA = pa.schema([*USER_V2.schema, *_KEY_FIELDS])
_EVENT_NAME_KEYS = pa.array(["first_event_name", "latest_event_name"], pa.string())
_ORIGIN = "_origin"
_STATE_BATCH_ROWS = 65_536  # 0: the state before this run, 1: a row of this run


def users_pending_marker(source_id: str) -> PurePosixPath:
    return USERS_PENDING_DIR / f"{source_id}.parquet"


def mark_users_pending(storage: Storage, source_id: str, users: UserAccumulator, user_v2_paths: Sequence[str]) -> None:
    """Record that an input's ``user_v2`` files still need :func:`carry_user_state`, with the times of the
    events its users' values came from (an input without users needs nothing)."""
    if not user_v2_paths:
        return
    rows = users.value_times()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_PENDING_SCHEMA)
    schema = _PENDING_SCHEMA.with_metadata({"user_v2_paths": orjson.dumps(sorted(user_v2_paths))})
    marker = pa.table([list(column) for column in columns], schema=schema)
    storage.write_parquet(users_pending_marker(source_id), marker)


def carry_user_state(storage: Storage) -> int:
    """Fold the pending inputs' ``user_v2`` rows into the user state and rewrite those files with it; returns
    the number of rows rewritten.

    Per user, as the original's aggregation over a batch: the user id of the latest event that had one, the
    properties of the latest ``_profile_set``, the first-touch fields of the earliest first-touch event,
    over every input of every run (the original weighed earlier batches by their latest event time; here
    every input keeps the exact event times). A run's rows all take the user's merged values and keep their
    own ``event_timestamp`` and latest event name, so their files keep their names and the loader replaces
    them by key. Every step is a max or a min, so folding a row twice changes nothing: a run stopped half-way
    is completed by the next one (the markers go last). Only this run's users are held out of the state; the
    others are streamed through (:func:`_fold_into_state`).
    """
    markers = storage.list_files(USERS_PENDING_DIR, ".parquet")
    if not markers:
        return 0
    # Parquet reads and writes leave the GIL: threads overlap them while the workers' cores are free.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        pending = list(pool.map(storage.read_parquet, [marker.path for marker in markers]))
        inputs = [
            (path, keys)
            for keys in pending
            for path in orjson.loads(keys.schema.metadata[b"user_v2_paths"])
            if storage.exists(path)
        ]
        paths = [path for path, _ in inputs]
        tables = pool.map(_read_user_rows, repeat(storage), paths, [keys for _, keys in inputs])
        files = dict(zip(paths, tables, strict=True))
        if files:
            # The state first: a stop before the files are rewritten leaves the markers; folding again is a no-op.
            merged = _fold_into_state(storage, pa.concat_tables(files.values()))
            rewrite = partial(_rewrite_user_rows, storage, merged, _user_keys(merged))
            list(pool.map(rewrite, files.keys(), files.values()))
    rows_written: int = sum(table.num_rows for table in files.values())
    for marker in markers:
        storage.delete(marker.path)
    return rows_written


def _read_user_rows(storage: Storage, path: str, keys: pa.Table) -> pa.Table:
    """An input's ``user_v2`` rows with the event times its marker recorded."""
    return _with_times(storage.read_parquet(path).select(USER_V2.column_names).cast(USER_V2.schema), keys)


def _rewrite_user_rows(storage: Storage, merged: pa.Table, merged_keys: pa.Array, path: str, table: pa.Table) -> None:
    storage.write_parquet(path, _with_merged(table, merged, merged_keys))


def _fold_into_state(storage: Storage, run: pa.Table) -> pa.Table:
    """Write the user state with ``run``'s users folded in; returns their merged rows.

    The state holds every user ever seen, so it is streamed batch by batch: the rows of users not in this run
    are copied through, and only this run's users are held, so memory follows the run, not the state.
    """
    run_keys = _user_keys(run).unique()
    earlier: list[pa.Table] = []
    with storage.atomic_output(USER_STATE) as output:  # the old file stays readable until the block ends
        writer = pq.ParquetWriter(output, USER_STATE_SCHEMA, compression="snappy")
        if storage.exists(USER_STATE):
            with storage.open_input(USER_STATE) as source:
                for batch in pq.ParquetFile(source).iter_batches(batch_size=_STATE_BATCH_ROWS):
                    rows = pa.Table.from_batches([batch]).select(USER_STATE_SCHEMA.names).cast(USER_STATE_SCHEMA)
                    touched = pc.is_in(_user_keys(rows), value_set=run_keys)
                    earlier.append(rows.filter(touched))
                    others = rows.filter(pc.invert(touched))
                    if others.num_rows:  # no empty row groups: the same state gives the same bytes
                        writer.write_table(others)
        merged = _merge_users(pa.concat_tables(earlier) if earlier else USER_STATE_SCHEMA.empty_table(), run)
        writer.write_table(merged)
        writer.close()
    return merged


def _one_chunk(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _user_keys(table: pa.Table) -> pa.Array:
    return _one_chunk(pc.binary_join_element_wise(table.column("app_id"), table.column("user_pseudo_id"), "\x1f"))


def _with_times(table: pa.Table, keys: pa.Table) -> pa.Table:
    """A ``user_v2`` file's rows with the event times its input recorded for their users."""
    at = pc.index_in(_user_keys(table), value_set=_user_keys(keys))
    for field in _KEY_FIELDS:
        table = table.append_column(field, pc.take(keys.column(field.name), at))
    return table


def _merge_users(earlier: pa.Table, run: pa.Table) -> pa.Table:
    """One row per user of ``run`` (state schema): the fold of the user's state row (``earlier``) and run rows."""
    stacked = pa.concat_tables(
        [
            earlier.append_column(_ORIGIN, pa.array([0] * earlier.num_rows, pa.int8())),
            run.append_column(_ORIGIN, pa.array([1] * run.num_rows, pa.int8())),
        ]
    ).combine_chunks()
    keys = _user_keys(stacked)
    latest = _first_of_runs(_order(stacked, keys, "event_timestamp", "descending"), keys)
    users = pc.take(keys, latest)
    # The winner of each rule, aligned with ``users`` (null where a user has none); on equal times this
    # run's row beats the state's for a latest value, the state's for the earliest.
    with_user_id = _winners(keys, users, _order(stacked, keys, _USER_ID_AT, "descending"), _USER_ID_AT, stacked)
    with_profile = _winners(keys, users, _order(stacked, keys, _PROFILE_AT, "descending"), _PROFILE_AT, stacked)
    with_touch = _winners(keys, users, _order(stacked, keys, _FIRST_TOUCH_AT, "ascending"), _FIRST_TOUCH_AT, stacked)
    columns: dict[str, Any] = {name: pc.take(stacked.column(name), latest) for name in USER_STATE_SCHEMA.names}
    for names, winners in (
        (("user_id", _USER_ID_AT), with_user_id),
        (("user_properties", "user_properties_json_str", _PROFILE_AT), with_profile),
        ((*_FIRST_COLUMNS, _FIRST_TOUCH_AT), with_touch),
    ):
        for name in names:
            columns[name] = pc.take(stacked.column(name), winners)
    infos = stacked.column("process_info")
    first_names = pc.take(pc.map_lookup(infos, "first_event_name", "first"), with_touch)
    latest_names = pc.take(pc.map_lookup(infos, "latest_event_name", "first"), latest)
    columns["process_info"] = _process_infos(pc.take(infos, latest), first_names, latest_names)
    return pa.table([columns[name] for name in USER_STATE_SCHEMA.names], schema=USER_STATE_SCHEMA)


def _order(stacked: pa.Table, keys: pa.Array, time: str, direction: str) -> pa.Array:
    """Row numbers by user, then by ``time`` in ``direction``; ties: this run's row first for descending."""
    table = pa.table({"key": keys, "time": stacked.column(time), "origin": stacked.column(_ORIGIN)})
    return pc.sort_indices(table, [("key", "ascending"), ("time", direction), ("origin", direction)])


def _winners(keys: pa.Array, users: pa.Array, order: pa.Array, time: str, stacked: pa.Table) -> pa.Array:
    """For each of ``users``, the first row in ``order`` among those with a ``time`` (null when none has)."""
    firsts = _first_of_runs(_subset(order, pc.is_valid(stacked.column(time))), keys)
    return pc.take(firsts, pc.index_in(users, value_set=pc.take(keys, firsts)))


def _process_infos(infos: pa.Array, first_names: pa.Array, latest_names: pa.Array) -> pa.Array:
    """The given ``process_info`` maps (their job's keys) with the merged first and latest event names.

    In Arrow: each map's entries but the two names, then ``first_event_name`` and ``latest_event_name``
    where given; in Arrow, since the fold's rows can be millions.
    """
    infos, first_names, latest_names = (_one_chunk(array) for array in (infos, first_names, latest_names))
    rows = pa.array(range(len(infos)), pa.int64())
    as_lists = pa.ListArray.from_arrays(infos.offsets, infos.values)  # a null map reads as an empty one
    entries = as_lists.flatten()
    kept = pc.invert(pc.is_in(entries.field("key"), value_set=_EVENT_NAME_KEYS))
    keys = [pc.filter(entries.field("key"), kept)]
    values = [pc.filter(entries.field("value"), kept)]
    parents = [pc.filter(pc.list_parent_indices(as_lists), kept)]
    for name, names in (("first_event_name", first_names), ("latest_event_name", latest_names)):
        given = pc.is_valid(names)
        values.append(pc.filter(names, given))
        parents.append(pc.filter(rows, given))
        keys.append(pa.array([name] * len(parents[-1]), pa.string()))
    parent = pa.concat_arrays([part.cast(pa.int64()) for part in parents])
    # Arrow's sort is stable: each row keeps its entries in order, then the first and the latest name.
    order = pc.sort_indices(parent)
    found = pc.value_counts(parent)
    counts = pc.fill_null(pc.take(found.field("counts"), pc.index_in(rows, value_set=found.field("values"))), 0)
    offsets = pa.concat_arrays([pa.array([0], pa.int64()), pc.cumulative_sum(counts).cast(pa.int64())])
    return pa.MapArray.from_arrays(
        offsets.cast(pa.int32()),
        pc.take(pa.concat_arrays(keys), order),
        pc.take(pa.concat_arrays(values), order),
        type=STRING_MAP,
    )


def _with_merged(table: pa.Table, merged: pa.Table, merged_keys: pa.Array) -> pa.Table:
    """``table``'s rows with their users' merged values; each row keeps its time and latest event name."""
    at = pc.index_in(_user_keys(table), value_set=merged_keys)
    columns = {name: pc.take(merged.column(name), at) for name in USER_V2.column_names}
    columns["event_timestamp"] = table.column("event_timestamp")
    infos = table.column("process_info")
    columns["process_info"] = _process_infos(
        infos.combine_chunks(),
        pc.map_lookup(columns["process_info"], "first_event_name", "first"),
        pc.map_lookup(infos, "latest_event_name", "first"),
    )
    return pa.table([columns[name] for name in USER_V2.column_names], schema=USER_V2.schema)

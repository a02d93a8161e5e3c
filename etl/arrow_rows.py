"""Row tuples from the transform -> Arrow tables of the contract's schemas.

Scalar columns are built in one pass over the rows by the compiled converter (:mod:`clickstream.etl.native`) when it
is installed; otherwise, and for a column holding a stray type, column by column (:func:`clickstream.etl.values.column`
converts a whole column in one Arrow call when its values already have the right type, else value by value
with the coercion rules). Maps are built from Python dicts through flat key and value arrays, and strings
cut to the contract's byte limits (the original's max-length rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, compress, islice
from operator import itemgetter, methodcaller, ne
from typing import Any, cast

import pyarrow as pa
import pyarrow.compute as pc

from clickstream.contract import CUSTOM_PARAMETERS, STRING_MAP, TIMESTAMP, USER_PROPERTIES, Table
from clickstream.etl.native import KINDS, NATIVE, native_columns
from clickstream.etl.values import TYPE_LABELS, all_none, column, text, truncate_utf8, value_type

_INT32, _BOOL, _STRING = pa.int32(), pa.bool_(), pa.string()
_values = methodcaller("values")


def build_table(
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    transient: Mapping[str, pa.DataType] | None = None,
    truncate: bool = True,
) -> pa.Table:
    """An Arrow table with ``table``'s columns (nulls where ``names`` lacks one) from value tuples in
    ``names`` order, plus the ``transient`` columns named there (kept for enrichment, dropped on write)."""
    transient_types = tuple((transient or {}).items())
    # Keyed on the table's name: hashing a Table (a dataclass of ~100 columns) costs more than the lookup.
    key = (table.name, tuple(names), transient_types, truncate)
    plan = _PLANS.get(key) or _PLANS.setdefault(key, _plan(table, key[1], transient_types, truncate))
    count = len(rows)
    # Scalar columns in one pass over the rows when the compiled builder is there (clickstream.etl.native); the others,
    # and a scalar column holding a stray type, column by column.
    arrays: list[pa.Array | None] = [None] * len(plan.columns)
    for index, array in zip(plan.native, native_columns(rows, plan.native_columns), strict=True):
        arrays[index] = array
    # Without the compiled converter every column is read from the rows: transposing them once is cheaper.
    transposed = list(zip(*rows, strict=True)) if rows and not NATIVE else None
    for index, (slot, arrow_type, max_bytes) in enumerate(plan.columns):
        array = arrays[index]
        if array is None:
            if slot is None or not rows:
                array = pa.nulls(count, arrow_type)
            else:
                values = transposed[slot] if transposed else list(map(itemgetter(slot), rows))
                array = _array(values, arrow_type, max_bytes)
        elif max_bytes is not None and arrow_type == _STRING:
            array = truncate_utf8(array, max_bytes)
        arrays[index] = array
    return pa.Table.from_arrays(arrays, schema=plan.schema)


@dataclass(frozen=True)
class _Plan:
    """How :func:`build_table` builds each column: its slot in the rows (None: not in them), Arrow type and
    string byte limit; and which columns the compiled builder converts (their positions and (slot, type))."""

    columns: tuple[tuple[int | None, pa.DataType, int | None], ...]
    native: tuple[int, ...]
    native_columns: tuple[tuple[int, pa.DataType], ...]
    schema: pa.Schema  # the table's columns, then the transient ones


def _plan(
    table: Table, names: tuple[str, ...], transient: tuple[tuple[str, pa.DataType], ...], truncate: bool
) -> _Plan:
    slots = {name: index for index, name in enumerate(names)}
    columns = tuple(
        [(slots.get(spec.name), spec.arrow_type, spec.max_bytes if truncate else None) for spec in table.columns]
        + [(slots.get(name), arrow_type, None) for name, arrow_type in transient]
    )
    native = tuple(
        index for index, (slot, arrow_type, _) in enumerate(columns) if slot is not None and arrow_type in KINDS
    )
    schema = pa.schema([*table.schema, *(pa.field(name, arrow_type) for name, arrow_type in transient)])
    return _Plan(columns, native, tuple((cast(int, columns[index][0]), columns[index][1]) for index in native), schema)


_PLANS: dict[tuple[str, tuple[str, ...], tuple[tuple[str, pa.DataType], ...], bool], _Plan] = {}


def truncate_columns(table: Table, data: pa.Table) -> pa.Table:
    """``data`` (built by :func:`build_table` with ``truncate=False``) with the strings cut to the contract's
    byte limits, as ``truncate=True`` would have cut them: once per chunk rather than once per batch built."""
    for index, spec in enumerate(table.columns):
        if spec.max_bytes is not None and spec.arrow_type == pa.string():
            column = data.column(index)
            longest = pc.max(pc.binary_length(column)).as_py()
            if longest is not None and longest > spec.max_bytes:
                cut = truncate_utf8(column.combine_chunks(), spec.max_bytes)
                data = data.set_column(index, data.schema.field(index), cut)
    return data


def _array(values: Sequence[Any], arrow_type: pa.DataType, max_bytes: int | None) -> pa.Array:
    if arrow_type == TIMESTAMP:
        # Epoch milliseconds are a timestamp[ms]'s very buffers: a zero-copy view, not a cast kernel call.
        return column(values, pa.int64()).view(TIMESTAMP)
    if arrow_type == STRING_MAP:
        return map_column(values, STRING_MAP)
    if arrow_type == CUSTOM_PARAMETERS:
        return _map_of(values, CUSTOM_PARAMETERS)  # one dict per event or item: nothing shared to look for
    if arrow_type == USER_PROPERTIES:
        return pa.array(values, type=USER_PROPERTIES)
    return column(values, arrow_type, max_bytes)


def map_column(dicts: Sequence[Mapping[str, Any] | None], map_type: pa.DataType) -> pa.Array:
    """A map array from dicts (None or empty -> null): string values, or ``{value, type}`` custom parameters.

    Rows often share one dict object (``process_info`` and ``device_ua`` are per request): without the
    compiled converter each run of one object is converted once and the rows take from it; with it,
    converting every row's entries costs less than that ``take``.
    """
    if all_none(dicts):  # device_ua before enrichment, query parameters of app events: no dict to convert
        return pa.nulls(len(dicts), map_type)
    if NATIVE:
        return _map_of(dicts, map_type)
    # Runs of one object (a request's events are consecutive rows), found with C-level loops (map, compress,
    # accumulate): each run's dict is converted once and its rows take from it. An object that comes back
    # after another is converted again, which gives the same values.
    ids = list(map(id, dicts))
    starts = [True, *map(ne, islice(ids, 1, None), ids)]
    firsts = list(compress(dicts, starts))
    if len(firsts) == len(dicts):
        return _map_of(dicts, map_type)
    run_of_row = pa.array(list(islice(accumulate(starts, initial=-1), 1, None)), _INT32)
    return _map_of(firsts, map_type).take(run_of_row)


def _map_of(dicts: Sequence[Mapping[str, Any] | None], map_type: pa.DataType) -> pa.Array:
    # Flattened with C-level iterators (chain, accumulate, map) rather than a Python loop per dict.
    present = [entry for entry in dicts if entry]
    keys: list[str] = list(chain.from_iterable(present))
    values: list[Any] = list(chain.from_iterable(map(_values, present)))
    offsets = list(accumulate([len(entry) if entry else 0 for entry in dicts], initial=0))
    nulls = [not entry for entry in dicts]
    if map_type == CUSTOM_PARAMETERS:
        items: pa.Array = _custom_items(values)
    else:
        items = column(values, _STRING)
    return pa.MapArray.from_arrays(
        column(offsets, _INT32), column(keys, _STRING), items, type=map_type, mask=column(nulls, _BOOL)
    )


def _custom_items(values: list[Any]) -> pa.Array:
    """Custom parameter values as ``{value: text, type: label}``: the labels come first, and when every value is
    an exact ``str`` (the usual case) the texts are the values, converted in one Arrow call; otherwise each
    non-string value takes the text rule (no failed conversion first: that costs an exception per batch)."""
    labels = list(map(TYPE_LABELS.get, map(type, values)))
    texts = values
    if labels.count("string") != len(labels):
        if None in labels:  # a subclass of a JSON type, or a value the SDK cannot send: the general rule
            labels = [label or value_type(value) for label, value in zip(labels, values, strict=True)]
        texts = [value if value.__class__ is str else text(value) for value in values]
    return pa.StructArray.from_arrays([column(texts, _STRING), column(labels, _STRING)], names=["value", "type"])

"""The optional compiled converter of Python values to Arrow arrays (``etl/_columns.c``), and its fallbacks.

pyarrow converts a Python value to Arrow more slowly in the ETL than in isolation, because a batch's
columns are read long after the transform made their values and they have left the CPU's caches
(decision 38, docs/performance.md#decision-38).
The compiled module reads each row of a batch once, while its values are hot, and appends them to all the
columns at once; it converts only values of the exact type a column expects (``str``, ``int``, ``float``,
``bool``, ``None``) and gives up on a column holding anything else, which then takes pyarrow's path with
every coercion rule of :mod:`clickstream.etl.values`. So it decides nothing: the arrays are those pyarrow would build.

Without a C compiler at install time the module is absent and every column takes pyarrow's path
(``NATIVE`` is False), as it does with ``CLICKSTREAM_ETL_NATIVE=0`` in the environment;
``tests/etl/test_native_columns.py`` checks both give equal arrays.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from clickstream.contract import TIMESTAMP


def _compiled() -> Any:
    """The compiled module, or None without it (or with ``CLICKSTREAM_ETL_NATIVE=0``, to rule it out or to
    compare both paths' speed)."""
    if os.environ.get("CLICKSTREAM_ETL_NATIVE") == "0":
        return None
    try:
        return importlib.import_module("clickstream.etl._columns")
    except ImportError:  # pragma: no cover - an install without a C compiler
        return None


_columns = _compiled()
NATIVE: bool = _columns is not None
# The compiled builder's kind of each Arrow type it converts (timestamps as epoch milliseconds).
KINDS: dict[pa.DataType, int] = {
    pa.string(): 0,
    pa.int64(): 1,
    TIMESTAMP: 1,
    pa.int32(): 2,
    pa.float64(): 3,
    pa.bool_(): 4,
}
_Buffers = tuple[int, bytes | None, bytes | None, bytes]


def native_columns(rows: Sequence[Sequence[Any]], columns: Sequence[tuple[int, pa.DataType]]) -> list[pa.Array | None]:
    """``row[slot]`` of every row as an Arrow array of the type, for each ``(slot, type)`` of ``columns`` (every
    type in :data:`KINDS`); None for a column holding a value of another type, and for all without the module."""
    if _columns is None or not rows:
        return [None] * len(columns)
    built: list[_Buffers | None] = _columns.build(
        rows if rows.__class__ is list else list(rows),
        tuple(slot for slot, _ in columns),
        tuple(KINDS[arrow_type] for _, arrow_type in columns),
    )
    count = len(rows)
    return [
        None if buffers is None else _array(buffers, count, arrow_type)
        for (_, arrow_type), buffers in zip(columns, built, strict=True)
    ]


def native_column(values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array | None:
    """``values`` (a list or tuple) as an Arrow array of ``arrow_type``, or None as :func:`native_columns`."""
    kind = KINDS.get(arrow_type)
    if _columns is None or kind is None:
        return None
    buffers: _Buffers | None = _columns.flat(values, kind)
    return None if buffers is None else _array(buffers, len(values), arrow_type)


def _array(buffers: _Buffers, count: int, arrow_type: pa.DataType) -> pa.Array:
    nulls, validity, offsets, values = buffers
    if nulls == count:
        return pa.nulls(count, arrow_type)  # the all-None column clickstream.etl.values.column makes
    storage_type = pa.int64() if arrow_type == TIMESTAMP else arrow_type
    parts = [None if validity is None else pa.py_buffer(validity)]
    if offsets is not None:
        parts.append(pa.py_buffer(offsets))
    parts.append(pa.py_buffer(values))
    array = pa.Array.from_buffers(storage_type, count, parts, null_count=nulls)
    return array.view(TIMESTAMP) if arrow_type == TIMESTAMP else array

"""Scalar coercions of SDK JSON values, and their column-wise fast paths.

The SDKs mostly send the right JSON type for each field, so the transform collects values as they come
and :func:`column` converts a whole column at once in Arrow; only a column holding a stray type (a
number where text belongs, a numeric string where a number belongs) falls back to the per-value rules
here. That keeps per-event Python work to dictionary lookups.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from clickstream.etl.native import native_column

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Byte limit of one custom parameter or user attribute value, in the map and in its JSON twin alike. The web
# SDK caps a value at 1,024 characters, at most 4 bytes each in UTF-8: what a conforming SDK sends is never cut.
VALUE_MAX_BYTES = 4096
# Event times the ETL accepts: from 1970 to the end of year 9999, in epoch milliseconds.
MAX_TIME_MSEC = 253_402_300_799_999


def text(value: Any) -> str | None:
    """A string column's value: JSON text for objects and arrays, ``true``/``false`` for booleans."""
    if value is None or value.__class__ is str:
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json_text(value)
    return str(value)


def integer(value: Any) -> int | None:
    """An int64 from an int, float or numeric string; None for anything else (NaN, inf, too large)."""
    if value.__class__ is int:  # the common case first: it runs several times per event
        return value if INT64_MIN <= value <= INT64_MAX else None
    if value is None or isinstance(value, bool):
        return None
    number: int | float
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value) if value.strip().lstrip("-").isdecimal() else float(value)
        except ValueError:
            return None
    else:
        return None
    if isinstance(number, float):
        if not math.isfinite(number):
            return None
        number = int(number)
    return number if INT64_MIN <= number <= INT64_MAX else None


def int32(value: Any) -> int | None:
    number = integer(value)
    return number if number is not None and -(2**31) <= number < 2**31 else None


def number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def boolean(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    return None


def value_type(value: Any) -> str:
    """The original's type label of a custom parameter value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict | list):
        return "object"
    return "string"


def msec_to_datetime(msec: int | None) -> datetime | None:
    """UTC time of epoch milliseconds, or None when missing or outside years 1970-9999."""
    if msec is None or not 0 <= msec <= MAX_TIME_MSEC:
        return None
    return datetime.fromtimestamp(msec / 1000, UTC)


def iso_msec(msec: int | None) -> str | None:
    """``2023-04-24T06:51:49.403Z``: the original's text form of times in ``process_info``.

    Formatted from a cached prefix up to the minute and precomputed digit strings: it runs twice per request,
    and requests rarely share a second.
    """
    if msec is None or not 0 <= msec <= MAX_TIME_MSEC:
        return None
    minutes, millis = divmod(msec, 60_000)
    seconds, millis = divmod(millis, 1000)
    return f"{_minute_prefix(minutes)}{_TWO_DIGITS[seconds]}.{_THREE_DIGITS[millis]}Z"


@lru_cache(maxsize=4096)
def _minute_prefix(minutes_since_epoch: int) -> str:
    """``2023-04-24T06:51:``: requests of one raw file share few minutes, so this is mostly a cache hit."""
    day, minutes = divmod(minutes_since_epoch, 1440)
    hours, minutes = divmod(minutes, 60)
    return f"{_date_prefix(day)}{hours:02d}:{minutes:02d}:"


@lru_cache(maxsize=4096)
def _date_prefix(days_since_epoch: int) -> str:
    return f"{date.fromordinal(_EPOCH_ORDINAL + days_since_epoch).isoformat()}T"


_TWO_DIGITS = tuple(f"{number:02d}" for number in range(60))
_THREE_DIGITS = tuple(f"{number:03d}" for number in range(1000))
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# The original's type labels by exact class (bool before int matters, so no isinstance here).
TYPE_LABELS: dict[type, str] = {
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "object",
}


_COERCE: dict[pa.DataType, Callable[[Any], Any]] = {
    pa.string(): text,
    pa.int64(): integer,
    pa.int32(): int32,
    pa.float64(): number,
    pa.bool_(): boolean,
}


def column(values: Sequence[Any], arrow_type: pa.DataType, max_bytes: int | None = None) -> pa.Array:
    """An Arrow array of ``values``: converted in one go when they already have the column's JSON type,
    else value by value with the coercion rules above; strings longer than ``max_bytes`` are cut."""
    if all_none(values):
        # Many columns are empty in a chunk (screen fields of web events, page fields of app events...);
        # Arrow converts Python Nones one by one, while this check is one C-level pass (see
        # docs/performance.md#figures-behind-code-comments).
        return pa.nulls(len(values), arrow_type)
    array = native_column(values, arrow_type)  # None unless compiled and every value has the exact JSON type
    if array is None:
        array = _converted(values, arrow_type)
    if max_bytes is not None and arrow_type == pa.string():
        array = truncate_utf8(array, max_bytes)
    return array


def _converted(values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array:
    try:
        array = pa.array(values, type=arrow_type, from_pandas=False)
        if arrow_type == pa.float64() and any(value.__class__ is bool or value != value for value in values):
            # pa.array takes booleans as 1.0/0.0 and keeps NaN; the per-value rules make both null.
            raise pa.ArrowInvalid("boolean or NaN in a float column")
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        convert = _COERCE[arrow_type]  # every rule maps None to None: the call is skipped for the many Nones
        array = pa.array([value if value is None else convert(value) for value in values], type=arrow_type)
    return array


def all_none(values: Sequence[Any]) -> bool:
    """True when every value is None. Comparing with a tuple of Nones runs in C on identity and stops at the
    first value, where ``count(None)`` calls ``==`` on every value."""
    count = len(values)
    nones = _NONES.get(count)
    if nones is None:
        if len(_NONES) > 64:
            _NONES.clear()
        nones = _NONES[count] = (None,) * count
    return (values if values.__class__ is tuple else tuple(values)) == nones


_NONES: dict[int, tuple[None, ...]] = {}


def truncate_utf8(array: pa.Array, max_bytes: int) -> pa.Array:
    """Cut strings longer than ``max_bytes`` bytes at a character boundary (the original's max-length rule;
    it cuts bytes, which can split a character; we keep the text valid UTF-8)."""
    longest = pc.max(pc.binary_length(array)).as_py()
    if longest is None or longest <= max_bytes:
        return array
    values = array.to_pylist()
    return pa.array(
        [
            value if value is None or len(value.encode()) <= max_bytes else cut_utf8(value, max_bytes)
            for value in values
        ],
        type=pa.string(),
    )


def cut_utf8(value: str, max_bytes: int) -> str:
    """``value`` cut to at most ``max_bytes`` UTF-8 bytes without splitting a character."""
    return value.encode()[:max_bytes].decode("utf-8", "ignore")


def json_text(value: Any) -> str:
    """``value`` as compact JSON text (non-ASCII kept), at any depth the JSON reader accepts.

    orjson reads up to 1,024 levels of nesting but writes at most 254, so an event it parsed can hold a value
    it cannot write; the standard library's encoder writes those as the same compact text.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # "Recursion limit reached": the only way a value orjson read fails to write
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, _DEEPEST_JSON_FRAMES))  # about one frame per level
        try:
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        finally:
            sys.setrecursionlimit(limit)


_DEEPEST_JSON_FRAMES = 4 * 1024


def writable(value: Any) -> Any:
    """``value`` as orjson can write it: itself, or its JSON text when it is nested too deep (see :func:`json_text`)."""
    if value.__class__ is dict or value.__class__ is list:
        try:
            orjson.dumps(value)
        except TypeError:
            return json_text(value)
    return value


def cut_value(value: Any, max_bytes: int) -> Any:
    """A custom parameter or user attribute value within ``max_bytes``: text cut at a character boundary;
    an object or array whose JSON text is longer becomes that text, cut (no longer an object, it is then
    typed a string); numbers, booleans and null are short and kept."""
    if value.__class__ is str:
        if len(value) * 4 <= max_bytes:  # no character takes more than 4 bytes in UTF-8
            return value
        return cut_utf8(value, max_bytes)
    if value.__class__ is dict or value.__class__ is list:
        text_value = json_text(value)
        if len(text_value) * 4 <= max_bytes or len(text_value.encode()) <= max_bytes:
            return value
        return cut_utf8(text_value, max_bytes)
    return value


def fit_json(
    values: dict[str, Any],
    value_bytes: int,
    total_bytes: int,
    render: Callable[[dict[str, Any]], bytes] = orjson.dumps,
    cut: Callable[[Any, int], Any] = cut_value,
) -> tuple[dict[str, Any], bytes]:
    """``values`` with every value cut to ``value_bytes`` (:func:`cut_value`), and their JSON text (``render``).

    When that text is still longer than ``total_bytes`` (its column's size), all values are cut to half the
    limit, and again, until it fits: the map and its JSON twin always hold the same, whole, values. Raises
    :class:`ValueError` when the names alone do not fit.
    """
    limit = value_bytes
    while True:
        fitted = {name: cut(value, limit) for name, value in values.items()}
        rendered = render(fitted)
        if len(rendered) <= total_bytes:
            return fitted, rendered
        if limit == 0:
            raise ValueError(f"the names alone take {len(rendered)} bytes of JSON, over {total_bytes}")
        limit //= 2

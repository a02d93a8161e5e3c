"""The compiled row-to-column converter (``clickstream.etl._columns``) builds exactly the arrays pyarrow builds from the
same values, and gives a column up to pyarrow's path (with the coercion rules) whenever a value is not of
the column's exact JSON type."""

from __future__ import annotations

import importlib
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clickstream.contract import TIMESTAMP
from clickstream.etl import native
from clickstream.etl.native import native_column, native_columns
from clickstream.etl.process import EtlJob, InputOutput, process_content
from clickstream.etl.values import _converted, column
from clickstream.simulator.generator import SimulationSpec, iter_requests
from clickstream.simulator.sender import write_raw
from clickstream.storage import Storage
from tests.support.data import seed_file
from tests.support.etl import make_job

SCALARS = [pa.string(), pa.int64(), pa.int32(), pa.float64(), pa.bool_()]


class StrSubclass(str):
    """Not an exact ``str``: the compiled converter must hand its column to pyarrow's path."""


# Values an SDK payload can hold (and a few it cannot), exact types and stray ones alike.
ANY_VALUE = st.one_of(
    st.none(),
    st.text(max_size=12),  # non-ASCII and empty strings included
    st.integers(min_value=-(2**70), max_value=2**70),  # past int64 and past the doubles' exact range
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.builds(StrSubclass, st.text(max_size=4)),
    st.just({"a": 1}),
    st.just([1, 2]),
)


def test_the_compiled_converter_is_built() -> None:
    # `make` installs the package with a C compiler at hand; without one, the ETL runs pyarrow's path.
    assert native.NATIVE


@pytest.mark.parametrize("arrow_type", SCALARS, ids=str)
@settings(max_examples=150, deadline=None)
@given(values=st.lists(ANY_VALUE, max_size=40))
def test_a_column_converts_to_the_array_pyarrow_and_the_coercion_rules_give(
    arrow_type: pa.DataType, values: list[Any]
) -> None:
    expected = _converted(values, arrow_type) if values and any(value is not None for value in values) else None
    built = column(values, arrow_type)
    if expected is None:
        assert built.null_count == len(values)
    else:
        assert built.equals(expected)


@pytest.mark.parametrize("arrow_type", SCALARS, ids=str)
@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(ANY_VALUE, ANY_VALUE), min_size=1, max_size=30))
def test_rows_convert_column_by_column_to_what_pyarrow_gives(
    arrow_type: pa.DataType, rows: list[tuple[Any, Any]]
) -> None:
    built = native_columns(rows, [(1, arrow_type), (0, arrow_type)])
    for slot, array in zip((1, 0), built, strict=True):
        values = [row[slot] for row in rows]
        if array is None:
            assert any(not _exact(value, arrow_type) for value in values)
        else:
            assert all(_exact(value, arrow_type) for value in values)
            array.validate(full=True)  # offsets, bitmaps and UTF-8 as Arrow requires them
            assert array.equals(pa.array(values, arrow_type))


def _exact(value: Any, arrow_type: pa.DataType) -> bool:
    """What the compiled converter takes for a column of ``arrow_type`` (anything else goes to pyarrow's path)."""
    if value is None:
        return True
    if arrow_type == pa.string():
        return type(value) is str and not any(0xD800 <= ord(char) <= 0xDFFF for char in value)
    if arrow_type == pa.int64():
        return type(value) is int and -(2**63) <= value < 2**63
    if arrow_type == pa.int32():
        return type(value) is int and -(2**31) <= value < 2**31
    if arrow_type == pa.float64():
        return (type(value) is float and math.isfinite(value)) or (type(value) is int and abs(value) <= 2**53)
    return type(value) is bool


@pytest.mark.parametrize(
    ("values", "arrow_type"),
    [
        (["a", 1], pa.string()),  # a number in a string column: the text rule makes "1"
        ([1, True], pa.int64()),  # a boolean is no integer here
        ([1, 2**63], pa.int64()),  # past int64
        ([1, 2**31], pa.int32()),
        ([1.5, 2**53 + 1], pa.float64()),  # no exact double
        ([1.5, math.nan], pa.float64()),  # NaN becomes null by the rules
        ([True, 1], pa.bool_()),  # the SDK's integer `_entrances` in a boolean column
        (["a", StrSubclass("b")], pa.string()),
        (["\ud800"], pa.string()),  # a lone surrogate cannot be UTF-8
    ],
)
def test_a_value_of_another_type_gives_the_column_up(values: list[Any], arrow_type: pa.DataType) -> None:
    assert native_column(values, arrow_type) is None
    assert native_columns([(value,) for value in values], [(0, arrow_type)]) == [None]


def test_nulls_strings_and_timestamps_keep_their_buffers_layout() -> None:
    strings = native_column(["é", None, "", "abc"], pa.string())
    assert strings is not None
    assert strings.to_pylist() == ["é", None, "", "abc"] and strings.null_count == 1
    assert native_column([None, None], pa.string()) == pa.nulls(2, pa.string())
    times = native_columns([(1_700_000_000_000,), (None,)], [(0, TIMESTAMP)])[0]
    assert times is not None and times.type == TIMESTAMP
    assert times.equals(pa.array([1_700_000_000_000, None], pa.int64()).view(TIMESTAMP))
    flags = native_column([True, None, False] * 5, pa.bool_())  # more than a byte of bits
    assert flags is not None and flags.to_pylist() == [True, None, False] * 5


def _with_and_without_the_converter(
    monkeypatch: pytest.MonkeyPatch, content: bytes, source: str, job: EtlJob
) -> tuple[InputOutput, InputOutput]:
    """The same input processed with the compiled converter, then on pyarrow's path for every column."""
    compiled = process_content(content, source, "test", job)
    monkeypatch.setattr(native, "_columns", None)
    return compiled, process_content(content, source, "test", job)


def _assert_same_tables(compiled: InputOutput, plain: InputOutput) -> None:
    for name in ("events", "items", "users"):
        assert getattr(compiled, name).equals(getattr(plain, name)), name


@pytest.mark.parametrize("fixture", ["original_data.json", "original_data_nozip.json", "original_data_null.json"])
def test_the_seed_records_give_the_same_tables_with_and_without_the_compiled_converter(
    monkeypatch: pytest.MonkeyPatch, fixture: str
) -> None:
    job = make_job(freshness_hours=None)
    compiled, plain = _with_and_without_the_converter(monkeypatch, seed_file(fixture).read_bytes(), fixture, job)
    _assert_same_tables(compiled, plain)
    assert compiled.rejects == plain.rejects


def test_simulated_traffic_gives_the_same_tables_with_and_without_the_compiled_converter(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_raw(iter_requests(SimulationSpec(app_ids=("shop",), users=40, days=2, seed=7)), Storage(tmp_path), 100_000)
    [raw] = sorted(tmp_path.rglob("*.gz"))
    job = make_job(("shop",), freshness_hours=None)
    compiled, plain = _with_and_without_the_converter(monkeypatch, raw.read_bytes(), raw.name, job)
    assert compiled.events.num_rows > 500
    _assert_same_tables(compiled, plain)


def test_clickstream_etl_native_0_turns_the_compiled_converter_off() -> None:
    probe = "import pyarrow as pa, clickstream.etl.native as n; print(n.NATIVE, n.native_column(['a'], pa.string()))"
    result = subprocess.run(
        [sys.executable, "-c", probe], env={**os.environ, "CLICKSTREAM_ETL_NATIVE": "0"}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "None"]


@pytest.mark.parametrize(
    ("rows", "slots", "kinds", "error"),
    [
        ([["a"], ["b", "c"]], (1,), (0,), IndexError),  # a row too short for its slot
        ([{"a": 1}], (0,), (0,), TypeError),  # a row that is neither a list nor a tuple
        ([["a"]], (0,), (9,), ValueError),  # no such kind
        ([["a"]], (0,), (0, 0), ValueError),  # slots and kinds differ in length
    ],
)
def test_malformed_rows_raise_instead_of_reading_past_them(
    rows: list[Any], slots: tuple[int, ...], kinds: tuple[int, ...], error: type[Exception]
) -> None:
    columns = importlib.import_module("clickstream.etl._columns")
    with pytest.raises(error):
        columns.build(rows, slots, kinds)

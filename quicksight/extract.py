"""The rows an offline dashboard embeds: each visual's dataset reduced to the grain its filters need.

A visual is aggregated in the browser, after the viewer picks dates, a platform and parameters; so
the page must hold rows at the grain of (date, platform, the parameter-filtered columns, the
visual's dimensions, and the columns counted distinct), with additive parts (sums and counts) summed
per row. Distinct counts stay exact that way. Values counted distinct are replaced by small numbers
(numbered per visual), so no user id leaves the warehouse for a chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from quicksight.spec import Dataset, Dimension, MeasureRef, Visual

MART_SCHEMA = "analytics"
DATE_KEY = "__date"
PLATFORM_KEY = "__platform"

_GRANULARITY_FORMAT = {
    "DAY": "%Y-%m-%d",
    "HOUR": "%Y-%m-%d %H:00",
    "SECOND": "%Y-%m-%d %H:%M:%S",
}


def part_key(part: MeasureRef) -> str:
    """The name of a measure part in the embedded rows (the same in Python and in the page's script)."""
    return f"{part.aggregation.lower()}__{part.column}"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dimension_sql(dimension: Dimension, dataset: Dataset) -> str:
    """A dimension's column as text at its granularity (dates as ISO text sort and compare as strings)."""
    column = quote(dimension.column)
    if dataset.columns[dimension.column] != "DATETIME":
        return column
    if dimension.granularity == "WEEK":
        return f"strftime(date_trunc('week', {column}), '%Y-%m-%d')"
    return f"strftime({column}, '{_GRANULARITY_FORMAT[dimension.granularity or 'DAY']}')"


@dataclass(frozen=True)
class GrainQuery:
    """The SQL of one visual's embedded rows and the names of its output columns."""

    sql: str
    parameters: list[Any]
    columns: list[str]
    distinct: list[str]


def grain_query(visual: Visual, dataset: Dataset, app_id: str, since: date, max_rows: int) -> GrainQuery:
    """Rows of ``visual`` for one app from ``since`` on, at the grain the page aggregates from."""
    keys: dict[str, str] = {
        DATE_KEY: f"strftime({quote(dataset.date_column)}, '%Y-%m-%d')",
        PLATFORM_KEY: f"coalesce(cast({quote(dataset.platform_column)} as varchar), '(none)')",
    }
    for item in [*visual.dimensions, *([visual.color] if visual.color else [])]:
        keys.setdefault(item.column, dimension_sql(item, dataset))
    for condition in visual.filters:
        if condition.parameter is not None:
            keys.setdefault(condition.column, quote(condition.column))
    parts = {part_key(part): part for measure in visual.measures for part in measure.parts}
    distinct = sorted({part.column for part in parts.values() if part.aggregation == "DISTINCT_COUNT"} - set(keys))
    for column in distinct:
        keys[column] = quote(column)
    aggregates: dict[str, str] = {}
    for name, part in parts.items():
        column = quote(part.column)
        if part.aggregation in ("SUM", "AVERAGE"):
            aggregates[f"sum__{part.column}"] = f"sum({column})"
        if part.aggregation in ("AVERAGE", "COUNT"):
            aggregates[f"count__{part.column}"] = f"count({column})"
        if part.aggregation in ("MIN", "MAX"):
            aggregates[name] = f"{part.aggregation.lower()}({column})"
    where = [f"{quote(dataset.app_column)} = ?", f"{quote(dataset.date_column)} >= ?"]
    values: list[Any] = [app_id, since]
    for condition in visual.filters:
        if condition.not_null:
            where.append(f"{quote(condition.column)} is not null")
        elif condition.equals is not None:
            where.append(f"{quote(condition.column)} = ?")
            values.append(condition.equals)
    select = [f"{expression} as {quote(name)}" for name, expression in [*keys.items(), *aggregates.items()]]
    sql = f"select {', '.join(select)} from {MART_SCHEMA}.{quote(dataset.model)} where {' and '.join(where)}"
    if aggregates or not visual.measures:
        sql += f" group by {', '.join(str(i + 1) for i in range(len(keys)))}"
    order = _order(visual, dataset, keys, aggregates)
    sql += f" order by {order} limit {max_rows}"
    return GrainQuery(sql, values, [*keys, *aggregates], distinct)


def _order(visual: Visual, dataset: Dataset, keys: dict[str, str], aggregates: dict[str, str]) -> str:
    """Keep the rows that matter when a visual has more than ``max_rows``: its sort first, then newest."""
    newest = f"{quote(DATE_KEY)} desc"
    if visual.sort is None:
        return newest
    direction = visual.sort.direction.lower()
    if visual.sort.by in keys:
        return f"{quote(visual.sort.by)} {direction} nulls last, {newest}"
    for name in (f"sum__{visual.sort.by}", f"count__{visual.sort.by}"):
        if name in aggregates:
            return f"{quote(name)} {direction} nulls last, {newest}"
    return newest


def _plain(value: Any) -> Any:
    """A JSON-friendly value: decimals as floats, dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def fetch_grain(connection: Any, query: GrainQuery) -> dict[str, Any]:
    """Run a grain query; distinct-counted values become numbers (the same value, the same number)."""
    rows = connection.execute(query.sql, query.parameters).fetchall()
    numbering: dict[str, dict[Any, int]] = {column: {} for column in query.distinct}
    positions = {column: query.columns.index(column) for column in query.distinct}
    out: list[list[Any]] = []
    for row in rows:
        values = [_plain(value) for value in row]
        for column, position in positions.items():
            value = values[position]
            if value is not None:
                numbers = numbering[column]
                values[position] = numbers.setdefault(value, len(numbers))
        out.append(values)
    return {"columns": query.columns, "rows": out}

"""The rows an offline dashboard embeds: each visual's dataset reduced to the grain its filters need.

A visual is aggregated in the browser, after the viewer picks dates, a platform and parameters; so
the page must hold rows at the grain of (date, platform, the parameter-filtered columns, the
visual's dimensions, and the columns counted distinct), with additive parts (sums and counts) summed
per row. Distinct counts stay exact that way. Values counted distinct are replaced by small numbers
(numbered per visual), so no user id leaves the warehouse for a chart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from clickstream.quicksight.spec.model import MART_SCHEMA, Dataset, Dimension, MeasureRef, Visual

log = logging.getLogger(__name__)

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
    max_rows: int


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
    sort_key = _sort_key(visual, keys, aggregates)
    # The keys are the grain (grouped), so ordering by all of them after the sort makes ties, and with them
    # the rows kept under a top-N or the row cap, the same on every render.
    ties = ", ".join(quote(name) for name in keys)
    partition_top = _partition_top(visual, keys)
    if partition_top is not None and sort_key is not None:
        partition = ", ".join(quote(name) for name in partition_top[0])
        sql = (
            f"select * from ({sql}) qualify row_number() over (partition by {partition} order by {sort_key}, "
            f"{ties}) <= {partition_top[1]}"
        )
    order = f"{quote(DATE_KEY)} desc" + (f", {sort_key}" if sort_key else "") + f", {ties}"
    sql += f" order by {order} limit {max_rows + 1}"
    return GrainQuery(sql, values, [*keys, *aggregates], distinct, max_rows)


def _sort_key(visual: Visual, keys: dict[str, str], aggregates: dict[str, str]) -> str | None:
    """The visual's own sort as SQL (a key or an additive part), or None."""
    if visual.sort is None:
        return None
    direction = visual.sort.direction.lower()
    for name in (visual.sort.by, f"sum__{visual.sort.by}", f"count__{visual.sort.by}"):
        if name in keys or name in aggregates:
            return f"{quote(name)} {direction} nulls last"
    return None


def _partition_top(visual: Visual, keys: dict[str, str]) -> tuple[list[str], int] | None:
    """For a detail table (no measures) showing its top N by a key column: N rows per filter cell suffice.

    Whatever dates, platform and parameter values a viewer picks, the N rows shown are among the N
    first of each (date, platform, parameter value) cell, so the rest never needs to be embedded.
    """
    if visual.measures or visual.sort is None or visual.sort.by not in keys or not isinstance(visual.top_n, int):
        return None
    cell = [DATE_KEY, PLATFORM_KEY, *(f.column for f in visual.filters if f.parameter is not None)]
    return list(dict.fromkeys(cell)), visual.top_n


def _plain(value: Any) -> Any:
    """A JSON-friendly value: decimals as floats, dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _newest_whole_days(rows: list[Any], max_rows: int) -> tuple[list[Any], str | None]:
    """At most ``max_rows`` rows (sorted newest date first), cut at a date boundary; and the first date kept.

    A visual over the cap keeps its newest days whole: a chart that silently lost part of a day, or
    the latest days, would show wrong numbers. The oldest date kept is reported so the page can say so.
    """
    if len(rows) <= max_rows:
        return rows, None
    kept = rows[:max_rows]
    partial = kept[-1][0]
    whole = [row for row in kept if row[0] != partial]
    if whole:
        kept = whole
    return kept, _plain(kept[-1][0])


def fetch_grain(connection: Any, query: GrainQuery, label: str = "") -> dict[str, Any]:
    """Run a grain query; distinct-counted values become numbers (the same value, the same number).

    Over ``query.max_rows`` rows, only the newest whole days are kept, the table says from which
    date (``truncated``) and a warning is logged.
    """
    fetched = connection.execute(query.sql, query.parameters).fetchall()
    rows, truncated_from = _newest_whole_days(fetched, query.max_rows)
    if truncated_from is not None:
        log.warning(
            "dashboard visual %s has more than %d rows at its grain: only the days from %s on are embedded",
            label or "(unnamed)", query.max_rows, truncated_from,
        )  # fmt: skip
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
    table: dict[str, Any] = {"columns": query.columns, "rows": out}
    if truncated_from is not None:
        table["truncated"] = {"from": truncated_from, "maxRows": query.max_rows}
    return table

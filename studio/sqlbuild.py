"""Safe SQL building blocks: fixed templates with typed slots filled by sqlglot syntax trees.

A template is SQL text written here, in DuckDB's dialect, whose only variable parts are ``$slot``
placeholders; request values never become SQL text. Each slot is filled with a syntax tree built from
a resolved catalog name (a column identifier, or a custom parameter looked up by a string literal) or
from a value as a typed literal (sqlglot quotes and escapes it). The finished tree renders for DuckDB,
and compiles for Redshift and Athena, where the events table is ``<schema>.fct_events``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import sqlglot
from sqlglot import exp

from studio.catalog import Catalog, Property
from studio.model import Condition, ConditionGroup, ExploreRequest, GroupProperty

Dialect = Literal["duckdb", "redshift", "athena"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "redshift", "athena")
EVENTS_TABLE = "events"  # the serving snapshot's tables; fct_events and dim_users in the warehouse
USERS_TABLE = "users"
WAREHOUSE_TABLES = {EVENTS_TABLE: "fct_events", USERS_TABLE: "dim_users"}
CUSTOM_PARAMETER = "__studio_custom_parameter"  # marker function replaced per dialect at render time
NOT_SET = "(not set)"
UNITS = {"DAY": "day", "WEEK": "week", "MONTH": "month"}


class BadRequest(ValueError):
    """A request that cannot become a query (a value of the wrong type, an impossible combination)."""


def fill(template: str, **slots: exp.Expr) -> exp.Expr:
    """Parse ``template`` and put each tree in ``slots`` where ``$name`` stands; every slot must be filled."""
    tree = sqlglot.parse_one(template, read="duckdb")

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.name in slots:
            return slots[node.name].copy()
        return node

    tree = tree.transform(swap)
    left = sorted({node.name for node in tree.find_all(exp.Placeholder)})
    if left:
        raise AssertionError(f"template slots left unfilled: {left}")
    return tree


def render(tree: exp.Expr, dialect: Dialect, schema: str = "analytics") -> str:
    """The query as text for ``dialect``: DuckDB reads the snapshot's tables, others ``<schema>.fct_events`` etc."""

    def per_dialect(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and node.name == CUSTOM_PARAMETER:
            column, name = node.expressions
            return _custom_lookup(column, name, dialect)
        if dialect != "duckdb" and isinstance(node, exp.Table) and node.name in WAREHOUSE_TABLES and not node.db:
            return exp.to_table(f"{schema}.{WAREHOUSE_TABLES[node.name]}", alias=node.alias or None)
        return node

    return tree.copy().transform(per_dialect).sql(dialect=dialect)


def _custom_lookup(column: exp.Expr, name: exp.Expr, dialect: Dialect) -> exp.Expr:
    key = name.name
    if dialect == "redshift":  # SUPER navigation: custom_parameters."name".value
        return exp.Dot(this=exp.Dot(this=column, expression=exp.to_identifier(key, quoted=True)),
                       expression=exp.to_identifier("value"))  # fmt: skip
    if dialect == "athena":
        lookup = exp.Anonymous(this="element_at", expressions=[column, exp.Literal.string(key)])
        return exp.Dot(this=lookup, expression=exp.to_identifier("value"))
    bracket = exp.Bracket(this=column, expressions=[exp.Literal.string(key)])
    return exp.Dot(this=bracket, expression=exp.to_identifier("value"))


def column_of(prop: Property, table: str | None = None) -> exp.Expr:
    """The SQL of a property: its column, or (custom parameters) the map lookup, cast to its type."""
    if not prop.custom:
        return exp.column(prop.name, table=table, quoted=True)
    lookup = exp.Anonymous(
        this=CUSTOM_PARAMETER,
        expressions=[exp.column(prop.map_column, table=table), exp.Literal.string(prop.name)],
    )
    if prop.value_type == "double":
        return exp.TryCast(this=lookup, to=exp.DataType.build("double"))
    return lookup


def literal(value: Any, data_type: str) -> exp.Expr:
    """A value as a typed literal; a number that is not one is a :class:`BadRequest`."""
    if data_type in ("int", "double", "float", "number"):
        if isinstance(value, bool):
            raise BadRequest(f"{value!r} is not a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise BadRequest(f"{value!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise BadRequest(f"{value!r} is not a finite number")
        return exp.Literal.number(int(number) if number.is_integer() else number)
    if data_type == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return exp.Boolean(this=value.lower() == "true")
        if isinstance(value, bool):
            return exp.Boolean(this=value)
        raise BadRequest(f"{value!r} is not true or false")
    if not isinstance(value, str | int | float):
        raise BadRequest(f"{value!r} is not a text value")
    return exp.Literal.string(str(value))


def condition(catalog: Catalog, app_id: str, cond: Condition) -> exp.Expr:
    """One filter as a boolean expression over the events table."""
    prop = catalog.property(app_id, cond.property, cond.category)
    column: exp.Expr = column_of(prop)
    numeric = cond.data_type in ("int", "double", "float", "number")
    if numeric and prop.value_type == "string":
        column = exp.TryCast(this=column, to=exp.DataType.build("double"))
    elif not numeric and cond.data_type != "boolean" and prop.value_type != "string":
        column = exp.Cast(this=column, to=exp.DataType.build("varchar"))
    test = _comparison(column, cond)
    if not prop.of_user:
        return test
    # a user attribute: the event's user is one of the app's users for whom the test holds
    users = (
        exp.select("user_pseudo_id")
        .from_(USERS_TABLE)
        .where(exp.and_(exp.EQ(this=exp.column("app_id"), expression=exp.Literal.string(app_id)), exp.Paren(this=test)))
    )
    return exp.In(this=exp.column("user_pseudo_id"), query=users.subquery())


def _comparison(column: exp.Expr, cond: Condition) -> exp.Expr:
    values = [literal(value, cond.data_type) for value in cond.value]
    op = cond.operator
    if op == "is_null":
        return exp.Is(this=column, expression=exp.Null())
    if op == "is_not_null":
        return exp.Not(this=exp.Is(this=column, expression=exp.Null()))
    if op in ("true", "false"):
        return exp.EQ(this=column, expression=exp.Boolean(this=op == "true"))
    if op == "between":
        return exp.Between(this=column, low=values[0], high=values[1])
    if op in ("in", "not_in"):
        inside = exp.In(this=column, expressions=values)
        return inside if op == "in" else exp.Not(this=inside)
    if op in ("contains", "not_contains"):
        found = exp.GT(this=exp.StrPosition(this=column, substr=values[0]), expression=exp.Literal.number(0))
        return found if op == "contains" else exp.Not(this=exp.Coalesce(this=found, expressions=[exp.false()]))
    comparisons: dict[str, type[exp.Binary]] = {
        "=": exp.EQ, "<>": exp.NEQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE,
    }  # fmt: skip
    return comparisons[op](this=column, expression=values[0])


def condition_group(catalog: Catalog, app_id: str, group: ConditionGroup | None) -> exp.Expr:
    """Conditions joined by ``and``/``or``; TRUE when there are none."""
    if group is None or not group.conditions:
        return exp.true()
    parts = [exp.Paren(this=condition(catalog, app_id, cond)) for cond in group.conditions]
    return exp.and_(*parts) if group.condition_operator == "and" else exp.or_(*parts)


def event_filter(catalog: Catalog, app_id: str, event_name: str, group: ConditionGroup | None) -> exp.Expr:
    """``event_name = <name>`` (a name the app has sent) and the event's own conditions."""
    name = exp.EQ(this=exp.column("event_name"), expression=exp.Literal.string(catalog.event(app_id, event_name)))
    return exp.and_(name, exp.Paren(this=condition_group(catalog, app_id, group)))


def group_value(catalog: Catalog, app_id: str, prop: GroupProperty | None) -> exp.Expr:
    """The grouping property as text, ``(not set)`` when null; a constant when there is no grouping."""
    if prop is None:
        return exp.Literal.string("")
    column = column_of(catalog.property(app_id, prop.property, prop.category))
    text = exp.Cast(this=column, to=exp.DataType.build("varchar"))
    return exp.Coalesce(this=text, expressions=[exp.Literal.string(NOT_SET)])


def request_group(catalog: Catalog, request: ExploreRequest) -> exp.Expr:
    conditions = request.group_condition.conditions if request.group_condition else []
    return group_value(catalog, request.app_id, conditions[0] if conditions else None)


def time_range(request: ExploreRequest, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) in UTC: a fixed range (a date end includes that whole day) or the last N units to now."""
    now = now or datetime.now(UTC)
    if request.time_scope_type == "FIXED":
        assert request.time_start is not None
        start = _as_datetime(request.time_start)
        end = _as_datetime(request.time_end, end_of_day=True) if request.time_end is not None else now
    else:
        assert request.last_n is not None and request.time_unit is not None
        today = datetime.combine(now.date(), time(), tzinfo=UTC)
        days = {"DD": 1, "WK": 7, "MM": 30, "YY": 365}[request.time_unit]
        start, end = today - timedelta(days=days * request.last_n - 1), today + timedelta(days=1)
    if end <= start:
        raise BadRequest(f"timeEnd ({end:%Y-%m-%d %H:%M}) must be after timeStart ({start:%Y-%m-%d %H:%M})")
    return start, end


def _as_datetime(value: date | datetime, end_of_day: bool = False) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = datetime.combine(value, time(), tzinfo=UTC)
    return moment + timedelta(days=1) if end_of_day else moment


def timestamp(moment: datetime) -> exp.Expr:
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="milliseconds")
    return exp.Cast(this=exp.Literal.string(text), to=exp.DataType.build("timestamp"))


def scope(catalog: Catalog, request: ExploreRequest, now: datetime | None = None) -> exp.Expr:
    """What every analysis reads: the app, the time range and the global condition."""
    start, end = time_range(request, now)
    ts = exp.column("event_timestamp")
    return exp.and_(
        exp.EQ(this=exp.column("app_id"), expression=exp.Literal.string(request.app_id)),
        exp.GTE(this=ts, expression=timestamp(start)),
        exp.LT(this=ts, expression=timestamp(end)),
        exp.Paren(this=condition_group(catalog, request.app_id, request.global_event_condition)),
    )


def any_of(parts: Sequence[exp.Expr]) -> exp.Expr:
    return exp.Paren(this=exp.or_(*[exp.Paren(this=part) for part in parts]))


def seconds(count: int) -> exp.Expr:
    return exp.Interval(this=exp.Literal.string(str(count)), unit=exp.Var(this="SECOND"))


def number(value: float) -> exp.Expr:
    return exp.Literal.number(value)


def text(value: str) -> exp.Expr:
    return exp.Literal.string(value)

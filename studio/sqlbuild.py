"""Safe SQL building blocks: fixed templates with typed slots filled by sqlglot syntax trees.

A template is SQL text written here, in DuckDB's dialect, whose only variable parts are ``$slot``
placeholders; request values never become SQL text. Each slot is filled with a syntax tree built from
a resolved catalog name (a column identifier, or a custom parameter looked up by a string literal) or
from a value as a typed literal (sqlglot quotes and escapes it). The finished tree renders for DuckDB,
and compiles for Redshift and Athena, where the events table is ``<schema>.fct_events``.

What differs per dialect is left in the tree as marker functions that :func:`render` replaces: a custom
parameter lookup, an event time as wall-clock time in the app's zone, a moment as a literal, and a user
attribute (a left join of the users table to every read of the events). Times are the request's
``timezone`` (docs/studio.md; decision 34).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlglot
from sqlglot import exp

from clickstream.studio.catalog import Catalog, Property
from clickstream.studio.model import BIGINT_MAX, BIGINT_MIN, Condition, ConditionGroup, ExploreRequest, GroupProperty

Dialect = Literal["duckdb", "redshift", "athena"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "redshift", "athena")
EVENTS_TABLE = "events"  # the serving snapshot's tables; fct_events and dim_users in the warehouse
USERS_TABLE = "users"
WAREHOUSE_TABLES = {EVENTS_TABLE: "fct_events", USERS_TABLE: "dim_users"}
# marker functions, replaced per dialect (or by a join) at render time
CUSTOM_PARAMETER = "__studio_custom_parameter"
LOCAL_TIME = "__studio_local_time"  # (timestamp, zone): the wall-clock time in the app's zone
INSTANT = "__studio_instant"  # ('yyyy-mm-dd hh:mm:ss.fff' in UTC): a moment, whatever the session's zone
USER_VALUE = "__studio_user_value"  # (app id, expression over users): a user attribute of the event's user
USER_COLUMN = "__studio_user_{}"
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
        if isinstance(node, exp.Anonymous) and node.name == LOCAL_TIME:
            return _local_time(node.expressions[0], node.expressions[1], dialect)
        if isinstance(node, exp.Anonymous) and node.name == INSTANT:
            return _instant(node.expressions[0].name, dialect)
        if (
            dialect == "redshift"
            and isinstance(node, exp.DataType)
            and node.is_type("varchar")
            and not node.expressions
        ):  # Redshift reads a bare VARCHAR as VARCHAR(256) and cuts longer text
            return exp.DataType.build("varchar(65535)", dialect="redshift")
        if dialect == "athena" and isinstance(node, exp.Median):  # Athena has no exact median
            return exp.ApproxQuantile(this=node.this, quantile=exp.Literal.number(0.5))
        if dialect != "duckdb" and isinstance(node, exp.Table) and node.name in WAREHOUSE_TABLES and not node.db:
            return exp.to_table(f"{schema}.{WAREHOUSE_TABLES[node.name]}", alias=node.alias or None)
        return node

    return _join_users(tree.copy()).transform(per_dialect).sql(dialect=dialect)


def _custom_lookup(column: exp.Expr, name: exp.Expr, dialect: Dialect) -> exp.Expr:
    key = name.name
    if dialect == "redshift":
        # Not SUPER navigation (custom_parameters."name".value): Redshift lower-cases navigated names unless
        # enable_case_sensitive_super_attribute is on, so "productId" would read null. The serialised object's
        # path lookup is case-sensitive, gives text (as the other engines' map value) and null when missing.
        serialised = exp.Anonymous(this="json_serialize", expressions=[column])
        return exp.Anonymous(this="json_extract_path_text", expressions=[
            serialised, exp.Literal.string(key), exp.Literal.string("value"), exp.true()])  # fmt: skip
    if dialect == "athena":
        lookup = exp.Anonymous(this="element_at", expressions=[column, exp.Literal.string(key)])
        return exp.Dot(this=lookup, expression=exp.to_identifier("value"))
    bracket = exp.Bracket(this=column, expressions=[exp.Literal.string(key)])
    return exp.Dot(this=bracket, expression=exp.to_identifier("value"))


def _local_time(moment: exp.Expr, zone: exp.Expr, dialect: Dialect) -> exp.Expr:
    """Wall-clock time in ``zone`` of a UTC event time: DuckDB's TIMESTAMPTZ ``AT TIME ZONE`` gives a plain
    TIMESTAMP; Redshift's event_timestamp is a UTC TIMESTAMP for CONVERT_TIMEZONE; Athena's AT TIME ZONE
    (at_timezone) reads it as UTC (Athena's session zone) and keeps the zone for date_trunc and date."""
    if dialect == "redshift":
        return exp.ConvertTimezone(source_tz=exp.Literal.string("UTC"), target_tz=zone, timestamp=moment)
    return exp.AtTimeZone(this=moment, zone=zone)


def _instant(utc_text: str, dialect: Dialect) -> exp.Expr:
    """A moment as a literal: TIMESTAMPTZ with its offset on DuckDB (event_timestamp is one there, and a plain
    TIMESTAMP would be read in the session's zone), a UTC TIMESTAMP on Redshift and Athena (as their column)."""
    if dialect == "duckdb":
        return exp.Cast(this=exp.Literal.string(utc_text + "+00"), to=exp.DataType.build("timestamptz"))
    return exp.Cast(this=exp.Literal.string(utc_text), to=exp.DataType.build("timestamp"))


def _join_users(tree: exp.Expr) -> exp.Expr:
    """Replace user-attribute markers by columns of a left join of each events read with the app's users.

    dim_users has one row per (app_id, user_pseudo_id) (a dbt test), so the join never repeats an event;
    an event whose user has no row gets nulls, which a negative condition (``<>``, ``not_in``) keeps.
    """
    markers = [node for node in tree.find_all(exp.Anonymous) if node.name == USER_VALUE]
    if not markers:
        return tree
    app_id = markers[0].expressions[0]
    values: dict[str, exp.Expr] = {}  # each distinct expression over users once, by its SQL
    for marker in markers:
        values.setdefault(marker.expressions[1].sql(), marker.expressions[1])
    index = {key: number for number, key in enumerate(values, start=1)}
    for marker in markers:
        marker.replace(exp.column(USER_COLUMN.format(index[marker.expressions[1].sql()])))
    users = exp.select("user_pseudo_id", *[
        exp.alias_(value.copy(), USER_COLUMN.format(index[key])) for key, value in values.items()
    ]).from_(USERS_TABLE).where(exp.EQ(this=exp.column("app_id"), expression=app_id.copy()))  # fmt: skip
    joined = (
        exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("e")), *[
            exp.column(USER_COLUMN.format(number), table="ua") for number in index.values()
        ])
        .from_(exp.to_table(EVENTS_TABLE, alias="e"))
        .join(users.subquery("ua"), on="ua.user_pseudo_id = e.user_pseudo_id", join_type="left")
    )  # fmt: skip
    for table in [node for node in tree.find_all(exp.Table) if node.name == EVENTS_TABLE and not node.db]:
        table.replace(joined.copy().subquery(table.alias or EVENTS_TABLE))
    return tree


def merged_user(app_id: str) -> exp.Expr:
    """The event's user as the original counts and joins users (its ``merged_user_id``): the signed-in id the
    device's users row holds (dim_users.user_id, the latest one seen), else the device's user_pseudo_id.

    Read through the users join, so a device that signs in later moves its past events to the signed-in user
    at once, and two devices signed in as one user are one user in every analysis.
    """
    signed_in = exp.Anonymous(this=USER_VALUE, expressions=[exp.Literal.string(app_id), exp.column("user_id")])
    return exp.Coalesce(this=signed_in, expressions=[exp.column("user_pseudo_id")])


def property_value(app_id: str, prop: Property) -> exp.Expr:
    """The SQL of a property as read from the events table: a user attribute through the users join."""
    value = column_of(prop)
    if not prop.of_user:
        return value
    return exp.Anonymous(this=USER_VALUE, expressions=[exp.Literal.string(app_id), value])


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
        if isinstance(value, int):  # exact, not through a float (the model keeps it within a BIGINT)
            if not BIGINT_MIN <= value <= BIGINT_MAX:
                raise BadRequest("an integer value must be within -2**63 and 2**63-1")
            return exp.Literal.number(value)
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise BadRequest(f"{str(value)[:100]!r} is not a number") from None
        if not math.isfinite(number):
            raise BadRequest(f"{str(value)[:100]!r} is not a finite number")
        # a whole number as an integer literal only while it is one exactly (1e300 stays 1e+300)
        return exp.Literal.number(int(number) if number.is_integer() and abs(number) < 2**53 else number)
    if data_type == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return exp.Boolean(this=value.lower() == "true")
        if isinstance(value, bool):
            return exp.Boolean(this=value)
        raise BadRequest(f"{value!r} is not true or false")
    if not isinstance(value, str | int | float):
        raise BadRequest(f"{value!r} is not a text value")
    return exp.Literal.string(str(value))


NUMERIC = ("int", "double", "float", "number")
ORDERING = (">", ">=", "<", "<=", "between")


def condition(catalog: Catalog, app_id: str, cond: Condition) -> exp.Expr:
    """One filter as a boolean expression over the events table (a user attribute is joined in at render).

    The operator must suit the property's catalog type (a 400 naming both otherwise): ``>``, ``<``,
    ``between`` compare numbers, ``contains`` searches text, ``true``/``false`` test booleans (a boolean
    column, or a custom parameter or user property holding the text true or false). A text
    property compares as a number only when the condition says so (``dataType`` number, int or double):
    its values are then read with TRY_CAST, a value that is not a number being null.
    """
    prop = catalog.property(app_id, cond.property, cond.category)
    column = property_value(app_id, prop)
    if cond.operator in ("is_null", "is_not_null"):
        return _comparison(column, cond, "string")
    kind = "number" if prop.value_type in NUMERIC else prop.value_type
    if kind == "string" and cond.data_type in NUMERIC:
        column, kind = exp.TryCast(this=column, to=exp.DataType.build("double")), "number"
    where = f"property {cond.property!r} ({cond.category}) is of type {prop.value_type}"
    if kind not in ("number", "string", "boolean"):
        raise BadRequest(f"{where}: only is_null and is_not_null apply to it")
    if cond.operator in ORDERING and kind != "number":
        raise BadRequest(
            f"operator {cond.operator} compares numbers, but {where}; use =, <>, in or not_in"
            + (", or dataType double to compare its values as numbers" if kind == "string" else "")
        )
    if cond.operator in ("contains", "not_contains") and kind != "string":
        raise BadRequest(f"operator {cond.operator} searches text, but {where}; use =, <>, >, < or between")
    if cond.operator in ("true", "false") and kind == "string" and prop.custom:
        # a custom parameter or user property keeps a boolean as the text true or false; as the original's
        # boolean parameters, false also holds where the value is missing
        truth = exp.EQ(this=exp.Lower(this=column), expression=exp.Literal.string(cond.operator))
        return truth if cond.operator == "true" else exp.or_(exp.Is(this=column.copy(), expression=exp.Null()), truth)
    if cond.operator in ("true", "false") and kind != "boolean":
        raise BadRequest(f"operator {cond.operator} tests a boolean, but {where}; use = or <>")
    return _comparison(column, cond, {"number": "double", "boolean": "boolean"}.get(kind, "string"))


def _comparison(column: exp.Expr, cond: Condition, value_type: str) -> exp.Expr:
    """The test; the negative ones (``<>``, ``not_in``, ``not_contains``) and ``false`` hold for null too, as in
    the original."""
    values = [literal(value, value_type) for value in cond.value]
    op = cond.operator
    is_null = exp.Is(this=column.copy(), expression=exp.Null())
    if op == "is_null":
        return is_null
    if op == "is_not_null":
        return exp.Not(this=is_null)
    if op == "true":
        return exp.EQ(this=column, expression=exp.true())
    if op == "false":  # as the original's booleans: a missing value is false too
        return exp.or_(is_null, exp.EQ(this=column, expression=exp.false()))
    if op == "between":
        return exp.Between(this=column, low=values[0], high=values[1])
    if op in ("in", "not_in"):
        inside = exp.In(this=column, expressions=values)
        return inside if op == "in" else exp.or_(is_null, exp.Not(this=inside))
    if op in ("contains", "not_contains"):
        found = exp.GT(this=exp.StrPosition(this=column, substr=values[0]), expression=exp.Literal.number(0))
        return found if op == "contains" else exp.or_(is_null, exp.Not(this=found))
    if op == "<>":
        return exp.or_(is_null, exp.NEQ(this=column, expression=values[0]))
    comparisons: dict[str, type[exp.Binary]] = {"=": exp.EQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}
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
    return exp.Coalesce(this=property_text(catalog, app_id, prop), expressions=[exp.Literal.string(NOT_SET)])


def property_text(catalog: Catalog, app_id: str, prop: GroupProperty) -> exp.Expr:
    """A property's value as text, null when it has none (an event's or, through the users join, its user's)."""
    resolved = catalog.property(app_id, prop.property, prop.category)
    column = property_value(app_id, resolved)
    if resolved.value_type == "boolean":  # Redshift cannot cast a boolean to text; every engine can do this
        return exp.Case(ifs=[exp.If(this=column, true=exp.Literal.string("true")),
                             exp.If(this=exp.Not(this=column.copy()), true=exp.Literal.string("false"))])  # fmt: skip
    return exp.Cast(this=column, to=exp.DataType.build("varchar"))


def property_number(app_id: str, prop: Property) -> exp.Expr:
    """A property's value as a double: numbers cast, text tried (null when not a number).

    Redshift's TRY_CAST takes only the conversions it lists, which do not include a number to its own
    type, so only text is tried.
    """
    column = property_value(app_id, prop)
    if prop.custom and prop.value_type == "double":
        return column  # column_of already tried the map's text as a double
    kind = exp.Cast if prop.value_type in NUMERIC else exp.TryCast
    return kind(this=column, to=exp.DataType.build("double"))


def request_group(catalog: Catalog, request: ExploreRequest) -> exp.Expr:
    conditions = request.group_condition.conditions if request.group_condition else []
    return group_value(catalog, request.app_id, conditions[0] if conditions else None)


# --- time ------------------------------------------------------------------------------------------------------


def zone_of(request: ExploreRequest) -> ZoneInfo:
    """The app's time zone, which the request carries as in the original (``timezone``; UTC when absent)."""
    return ZoneInfo(request.timezone or "UTC")


def time_range(request: ExploreRequest, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) as moments in the app's zone.

    A fixed range: a date is that day in the app's zone (an end date includes its whole day), a date-time
    without an offset is a wall-clock time there, one with an offset is that moment; no end is now. A
    relative range: the last N calendar days, weeks (from Monday), months or years up to the end of today,
    today in the app's zone: lastN 1 with MM is this month so far, lastN 3 with WK is this week and the two
    before it.
    """
    zone = zone_of(request)
    now = (now or datetime.now(UTC)).astimezone(zone)
    if request.time_scope_type == "FIXED":
        assert request.time_start is not None
        start = _as_moment(request.time_start, zone)
        end = _as_moment(request.time_end, zone, end_of_day=True) if request.time_end is not None else now
    else:
        assert request.last_n is not None and request.time_unit is not None
        today, back = now.date(), request.last_n - 1
        try:
            first = _first_day(today, request.time_unit, back)
            start, end = _midnight(first, zone), _midnight(today + timedelta(days=1), zone)
            start.astimezone(UTC)  # a first day in year 1 can still fall before it in UTC
        except (ValueError, OverflowError):
            raise BadRequest(f"lastN {request.last_n} {request.time_unit} reaches before the year 1") from None
    if end <= start:
        raise BadRequest(f"timeEnd ({end:%Y-%m-%d %H:%M}) must be after timeStart ({start:%Y-%m-%d %H:%M})")
    return start, end


def _first_day(today: date, unit: str, back: int) -> date:
    """The first day of the relative range: ``back`` whole units before the one ``today`` is in."""
    if unit == "DD":
        return today - timedelta(days=back)
    if unit == "WK":
        return today - timedelta(days=today.weekday(), weeks=back)
    if unit == "MM":
        months = today.year * 12 + today.month - 1 - back
        return date(months // 12, months % 12 + 1, 1)
    return date(today.year - back, 1, 1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def _as_moment(value: date | datetime, zone: ZoneInfo, end_of_day: bool = False) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    return _midnight(value + timedelta(days=1) if end_of_day else value, zone)


def timestamp(moment: datetime) -> exp.Expr:
    """A moment as a literal (in UTC; rendered as TIMESTAMPTZ for DuckDB, a UTC TIMESTAMP elsewhere)."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="milliseconds")
    return exp.Anonymous(this=INSTANT, expressions=[exp.Literal.string(text)])


def local_time(request: ExploreRequest, moment: exp.Expr | None = None) -> exp.Expr:
    """``moment`` (event_timestamp by default) as wall-clock time in the app's zone."""
    zone = exp.Literal.string(zone_of(request).key)
    return exp.Anonymous(this=LOCAL_TIME, expressions=[moment or exp.column("event_timestamp"), zone])


def bucket(request: ExploreRequest, unit: str) -> exp.Expr:
    """The first day of the event's day, week (Monday, as the dashboards) or month, in the app's zone."""
    if unit not in UNITS.values():
        raise AssertionError(f"not a bucket unit: {unit}")
    return fill(f"cast(date_trunc('{unit}', $moment) as date)", moment=local_time(request))


def scope(
    catalog: Catalog, request: ExploreRequest, now: datetime | None = None, lookback: timedelta = timedelta(0)
) -> exp.Expr:
    """What every analysis reads: the app, the time range (from ``lookback`` before it) and the global condition."""
    start, end = time_range(request, now)
    ts = exp.column("event_timestamp")
    return exp.and_(
        exp.EQ(this=exp.column("app_id"), expression=exp.Literal.string(request.app_id)),
        exp.GTE(this=ts, expression=timestamp(start - lookback)),
        exp.LT(this=ts, expression=timestamp(end)),
        exp.Paren(this=condition_group(catalog, request.app_id, request.global_event_condition)),
    )


def any_of(parts: Sequence[exp.Expr]) -> exp.Expr:
    return exp.Paren(this=exp.or_(*[exp.Paren(this=part) for part in parts]))


def seconds(count: int) -> exp.Expr:
    return exp.Interval(this=exp.Literal.string(str(count)), unit=exp.Var(this="SECOND"))


def number(value: float) -> exp.Expr:
    if not math.isfinite(value):  # it would render as a bare word (nan, inf) that SQL reads as a column
        raise BadRequest(f"{value} is not a finite number")
    return exp.Literal.number(value)


def text(value: str) -> exp.Expr:
    return exp.Literal.string(value)

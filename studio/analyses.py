"""The five analyses: each turns a request into one query tree and shapes its rows for the page.

Templates are fixed text; the loops over steps, touchpoints and pairs only number the slots. Semantics
(documented for analysts in docs/studio.md):

A user, in every analysis, is the original's merged user: the signed-in id of the device's users row
(dim_users.user_id), else the device's user_pseudo_id (:func:`clickstream.studio.sqlbuild.merged_user`). A user who
signs in on a phone and a laptop is one user: counted once, and a funnel step, a return or a touch on
either device belongs to them.

* event: per metric (event and its conditions) and time bucket (day, week from Monday, or month, in the
  app's zone), a count of events, of users (merged), of distinct property values, or
  sum/avg/median/min/max of a property (median approximate on Athena); optionally per group value. Each
  metric's own computeMethod says which; a metric without one counts events, as the original's
  (``?? EVENT_CNT``), whatever the request-level computeMethod says (the original does not read it here);
* funnel: from each step-1 event, the earliest next step (time, then event_id) after it with the same
  join column value (the merged user, also for joinColumn user_pseudo_id, unless joinColumn names
  another column) within the conversion window
  (seconds from step 1, or the same day in the app's zone), and so on; a start counts for every step it
  reaches; counted as users (distinct merged users of the starts) or events (distinct events matched
  at each step). Users are the original's count; events are not: the original counts every step-k event
  that continues any chain (so a step can count more than the one before, a conversion over 100 %);
  here a step-k event counts when it is some start's earliest next step, so no step exceeds the one
  before (decision 46);
* path: in studio/paths.py;
* retention: users by the period of their first start event (``cohort_users``); per period from the
  cohort's own (period 0, as the original: who did the return event in the same day, week or month) on,
  those who did the return event (with an associated parameter: one whose value equals a start's, both
  non-null); the rate is per cohort size;
* attribution: each touch belongs to the user's next goal event; a goal's credit is shared among its
  touches inside its window (session, day or seconds) by the model; a touch event matching two
  touchpoints counts for the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlglot import exp

from clickstream.studio.catalog import Catalog
from clickstream.studio.model import (
    AttributionRequest,
    EventAndCondition,
    EventRequest,
    FunnelRequest,
    RetentionRequest,
)
from clickstream.studio.sqlbuild import (
    UNITS,
    BadRequest,
    any_of,
    bucket,
    column_of,
    event_filter,
    fill,
    local_time,
    merged_user,
    number,
    property_number,
    property_text,
    property_value,
    request_group,
    scope,
    seconds,
    text,
    time_range,
    timestamp,
)

Rows = list[dict[str, Any]]


@dataclass
class Analysis:
    """A query tree and how its rows become the response's rows (already JSON-friendly)."""

    kind: str
    tree: exp.Expr
    shape: Callable[[Rows], Rows]
    portable: exp.Expr | None = None  # the same query without DuckDB-only functions, for Redshift and Athena

    def tree_for(self, dialect: str) -> exp.Expr:
        return self.tree if dialect == "duckdb" or self.portable is None else self.portable


def plain_rows(rows: Rows) -> Rows:
    return [{key: _json_value(value) for key, value in row.items()} for row in rows]


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()[:10] if not isinstance(value, datetime) or value.time().isoformat() == "00:00:00" \
            else value.isoformat()  # fmt: skip
    if isinstance(value, float):
        return round(value, 6)
    return value


# --- event -------------------------------------------------------------------------------------------------


def _metric(catalog: Catalog, request: EventRequest, metric: EventAndCondition) -> exp.Expr:
    # each metric says what it counts; without a method it counts events, as the original (its request-level
    # computeMethod is not read by the event analysis)
    method = metric.compute_method or "EVENT_CNT"
    if method == "EVENT_CNT":
        return exp.Count(this=exp.Star())
    if method == "USER_ID_CNT":
        return exp.Count(this=exp.Distinct(expressions=[merged_user(request.app_id)]))
    target = metric.event_ext_parameter.target_property if metric.event_ext_parameter else None
    if target is None:
        if method != "SUM_VALUE":
            raise BadRequest(f"computeMethod {method} needs eventExtParameter.targetProperty on {metric.event_name}")
        prop = catalog.property(request.app_id, "event_value")
    else:
        prop = catalog.property(request.app_id, target.property, target.category)
    column = property_value(request.app_id, prop)
    if method == "COUNT_PROPERTY":
        return exp.Count(this=exp.Distinct(expressions=[column]))
    value = property_number(request.app_id, prop)
    aggregation = "sum" if method == "SUM_VALUE" else (metric.event_ext_parameter and
                                                        metric.event_ext_parameter.aggregation_method)  # fmt: skip
    functions: dict[str, type[exp.AggFunc]] = {
        "sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max, "median": exp.Median,
    }  # fmt: skip
    if not aggregation:
        raise BadRequest(f"computeMethod {method} needs eventExtParameter.aggregationMethod on {metric.event_name}")
    return functions[aggregation](this=value)


def event_analysis(catalog: Catalog, request: EventRequest, now: datetime | None = None) -> Analysis:
    unit = UNITS[request.group_column]
    selects = []
    for index, metric in enumerate(request.event_and_conditions, start=1):
        selects.append(fill(
            """select $index as metric, $name as event_name, $bucket as bucket, $group as group_value, $value as value
               from events where $scope and $event group by 1, 2, 3, 4""",
            index=number(index), bucket=bucket(request, unit), name=text(metric.event_name),
            group=request_group(catalog, request),
            value=_metric(catalog, request, metric), scope=scope(catalog, request, now),
            event=event_filter(catalog, request.app_id, metric.event_name, metric.sql_condition),
        ))  # fmt: skip
    union: exp.Expr = selects[0]
    for select in selects[1:]:
        union = exp.union(union, select, distinct=False)
    tree = exp.select("*").from_(exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("metrics"))))
    tree = tree.order_by("metric", "bucket", "group_value")
    return Analysis("event", tree, plain_rows)


# --- funnel ------------------------------------------------------------------------------------------------


def funnel_analysis(catalog: Catalog, request: FunnelRequest, now: datetime | None = None) -> Analysis:
    steps = request.event_and_conditions
    join = catalog.property(request.app_id, request.join_column or "user_pseudo_id") if request.specify_join_column \
        else catalog.property(request.app_id, "user_pseudo_id")  # fmt: skip
    if join.custom:
        raise BadRequest("joinColumn must be an event column such as user_pseudo_id, user_id or session_id")
    # user_pseudo_id (the default) is the merged user, as the original's base_data renames merged_user_id to it
    join_value = merged_user(request.app_id) if join.name == "user_pseudo_id" else column_of(join)
    flags = ", ".join(f"$flag{i} as f{i}" for i in range(1, len(steps) + 1))
    # CURRENT_DAY: the same day in the app's zone
    window = "b.d = p.d1" if request.conversion_interval_type == "CURRENT_DAY" else "b.ts <= p.t1 + $window"
    same_group = " and b.g = p.g" if request.group_condition and request.group_condition.apply_to == "ALL" else ""
    # Each step-1 event (its event_id is the start's key) reaches step k at the earliest step-k event (time,
    # then event_id) strictly after its step k-1 with the same join value, within the window of step 1. The
    # start's user (the merged user) is what USER_ID_CNT counts; EVENT_CNT counts the distinct events matched
    # at each step (two starts reaching the same step-k event count it once).
    base = (
        f"base as (select $join as j, $user as u, event_id as e, event_timestamp as ts, "
        f"cast($local as date) as d, $group as g, {flags} from events where $scope and $any_step)"
    )
    start = "s1 as (select e as start_id, u, j, ts as t1, d as d1, g, e, ts as t from base where f1)"
    what = "u" if request.compute_method != "EVENT_CNT" else "e"
    counts = ", ".join(f"count(distinct s{i}.{what}) as step_{i}" for i in range(1, len(steps) + 1))
    joins = " ".join(f"left join s{i} on s{i}.start_id = s1.start_id" for i in range(2, len(steps) + 1))
    select = f"select s1.g as group_value, {counts} from s1 {joins} group by 1 order by 2 desc"

    def plan(step: Callable[[int, str], str]) -> str:
        ctes = [base, start]
        for i in range(2, len(steps) + 1):
            reach = (f"from s{i - 1} as p join base as b on b.j = p.j and b.f{i} and b.ts > p.t "
                     f"and {window}{same_group}")  # fmt: skip
            ctes.append(step(i, reach))
        return f"with {', '.join(ctes)} {select}"

    def by_min(i: int, reach: str) -> str:  # DuckDB: one hash aggregate per step, the (time, id) struct's MIN
        return (f"s{i} as (select start_id, u, j, t1, d1, g, k.e as e, k.ts as t from ("
                f"select p.start_id, p.u, p.j, p.t1, p.d1, p.g, min({{'ts': b.ts, 'e': b.e}}) as k {reach} "
                f"group by p.start_id, p.u, p.j, p.t1, p.d1, p.g) as reached)")  # fmt: skip

    def by_window(i: int, reach: str) -> str:  # Redshift and Athena: the first row per start
        return (f"s{i} as (select start_id, u, j, t1, d1, g, e, t from (select p.start_id, p.u, p.j, p.t1, p.d1, "
                f"p.g, b.e, b.ts as t, row_number() over (partition by p.start_id order by b.ts, b.e) as rn "
                f"{reach}) as reached where rn = 1)")  # fmt: skip

    slots = {f"flag{i}": event_filter(catalog, request.app_id, step.event_name, step.sql_condition)
             for i, step in enumerate(steps, start=1)}  # fmt: skip
    slots.update(
        join=join_value, user=merged_user(request.app_id), group=request_group(catalog, request),
        scope=scope(catalog, request, now),
        any_step=any_of([slots[f"flag{i}"] for i in range(1, len(steps) + 1)]), local=local_time(request),
    )  # fmt: skip
    if request.conversion_interval_type == "CUSTOMIZE":
        slots["window"] = seconds(request.conversion_interval_in_seconds)
    names = [step.event_name for step in steps]

    def shape(rows: Rows) -> Rows:
        out: Rows = []
        for row in rows:
            first = row["step_1"] or 0
            previous = first
            for i, name in enumerate(names, start=1):
                count = row[f"step_{i}"] or 0
                out.append({
                    "group_value": row["group_value"], "step": i, "event_name": name, "count": count,
                    "conversion_rate": round(count / first, 4) if first else 0.0,
                    "step_rate": round(count / previous, 4) if previous else 0.0,
                })  # fmt: skip
                previous = count
        return out

    return Analysis("funnel", fill(plan(by_min), **slots), shape, fill(plan(by_window), **slots))


# --- retention ---------------------------------------------------------------------------------------------


def _period_start(cohort: date, unit: str, periods: int) -> date:
    """The first day of the period ``periods`` units after ``cohort`` (itself the first day of a period)."""
    if unit == "day":
        return cohort + timedelta(days=periods)
    if unit == "week":
        return cohort + timedelta(weeks=periods)
    months = cohort.month - 1 + periods
    return date(cohort.year + months // 12, months % 12 + 1, 1)


def _periods_in(first: date, last: date, unit: str) -> int:
    """How many whole days, weeks or months follow the one ``first`` is in, up to the one ``last`` is in."""
    if unit == "day":
        return (last - first).days
    if unit == "week":
        return (last - timedelta(days=last.weekday()) - (first - timedelta(days=first.weekday()))).days // 7
    return (last.year - first.year) * 12 + last.month - first.month


def retention_analysis(catalog: Catalog, request: RetentionRequest, now: datetime | None = None) -> Analysis:
    unit = UNITS[request.group_column]
    begin, end = time_range(request, now)
    last_day = (end - timedelta(microseconds=1)).date()
    periods = request.periods or min(60, max(1, _periods_in(begin.date(), last_day, unit)))
    selects = []
    for index, pair in enumerate(request.pair_event_and_conditions, start=1):
        start_join, back_join = pair.start_event.retention_join_column, pair.back_event.retention_join_column
        joined = start_join is not None
        # with an associated parameter a return counts only when both raw values are there and equal
        match = " and c.j is not null and b.j is not null and b.j = c.j" if joined else ""
        # split by a property (groupCondition), as the original: a start's value is its group, and a return
        # counts for that group when the return event has the same value
        template = f"""
            with starts as (select $user as u, $bucket as period, $start_join as j, $group as g
                            from events where $scope and $start_event),
            cohorts as (select u, min(period) as cohort from starts group by u),
            cohort_rows as (select distinct c.u, c.cohort, s.j, s.g from cohorts as c
                            join starts as s on s.u = c.u and s.period = c.cohort),
            backs as (select distinct $user as u, $bucket as period, $back_join as j, $group as g
                      from events where $scope and $back_event),
            returned as (select distinct c.u, c.g, c.cohort, date_diff('{unit}', c.cohort, b.period) as n
                         from cohort_rows as c join backs as b
                         on b.u = c.u and b.g = c.g and b.period >= c.cohort{match}),
            sizes as (select g, cohort, count(distinct u) as cohort_users from cohort_rows group by g, cohort),
            counts as (select g, cohort, n, count(distinct u) as users from returned where n <= $periods
                       group by g, cohort, n)
            select $index as pair, $start_name as start_event, $back_name as back_event, s.g as group_value,
                   s.cohort, coalesce(c.n, 0) as period, coalesce(c.users, 0) as users, s.cohort_users
            from sizes as s left join counts as c on c.g = s.g and c.cohort = s.cohort
        """
        selects.append(fill(
            template, index=number(index), scope=scope(catalog, request, now), periods=number(periods),
            start_name=text(pair.start_event.event_name), back_name=text(pair.back_event.event_name),
            start_event=event_filter(catalog, request.app_id, pair.start_event.event_name,
                                     pair.start_event.sql_condition),
            back_event=event_filter(catalog, request.app_id, pair.back_event.event_name,
                                    pair.back_event.sql_condition),
            start_join=property_text(catalog, request.app_id, start_join) if start_join else text(""),
            back_join=property_text(catalog, request.app_id, back_join) if back_join else text(""),
            bucket=bucket(request, unit), group=request_group(catalog, request), user=merged_user(request.app_id),
        ))  # fmt: skip
    union: exp.Expr = exp.Subquery(this=selects[0])
    for select in selects[1:]:
        union = exp.union(union, exp.Subquery(this=select), distinct=False)
    tree = exp.select("*").from_(exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("cohorts"))))
    tree = tree.order_by("pair", "group_value", "cohort", "period")

    def shape(rows: Rows) -> Rows:
        """Rates per cohort, with a 0 row for each period that has passed without a return (future ones stay out)."""
        sizes = {(row["pair"], row["group_value"], row["cohort"]): row["cohort_users"] for row in rows}
        seen = {(row["pair"], row["group_value"], row["cohort"], row["period"]) for row in rows}
        names = {row["pair"]: (row["start_event"], row["back_event"]) for row in rows}
        filled = list(rows)
        for (pair_index, group, cohort), size in sizes.items():
            for period in range(0, periods + 1):
                if (pair_index, group, cohort, period) not in seen and _period_start(cohort, unit, period) < end.date():
                    start_name, back_name = names[pair_index]
                    filled.append({"pair": pair_index, "start_event": start_name, "back_event": back_name,
                                   "group_value": group, "cohort": cohort, "period": period, "users": 0,
                                   "cohort_users": size})  # fmt: skip
        filled.sort(key=lambda row: (row["pair"], row["group_value"], row["cohort"], row["period"]))
        out = plain_rows(filled)
        for row, raw in zip(out, filled, strict=True):
            size = raw["cohort_users"]
            row["rate"] = round(raw["users"] / size, 4) if size else 0.0
        return out

    return Analysis("retention", tree, shape)


# --- attribution -------------------------------------------------------------------------------------------


def _credit(request: AttributionRequest) -> str:
    """The share of a goal's value that the touch at ``pos`` of ``n`` gets, as SQL over pairs' columns.

    TIME_DECAY is by elapsed time: a touch ``elapsed`` seconds before the goal weighs
    2^(-elapsed / half-life), and the weights of one goal's touches are scaled to add up to 1.
    """
    if request.model_type == "FIRST_TOUCH":
        return "case when pos = 1 then 1.0 else 0.0 end"
    if request.model_type == "LAST_TOUCH":
        return "case when pos = n then 1.0 else 0.0 end"
    if request.model_type == "LINEAR":
        return "1.0 / n"
    if request.model_type == "TIME_DECAY":
        return ("power(0.5, elapsed / $half_life) "
                "/ sum(power(0.5, elapsed / $half_life)) over (partition by goal_id)")  # fmt: skip
    return ("case when n = 1 then 1.0 when n = 2 then (case when pos = 1 then $w_first2 else $w_last2 end) "
            "when pos = 1 then $w_first when pos = n then $w_last else $w_middle / (n - 2) end")  # fmt: skip


def attribution_analysis(catalog: Catalog, request: AttributionRequest, now: datetime | None = None) -> Analysis:
    """Each touch belongs to the user's next goal (the first goal event at or after it; at the same moment the
    touch comes first) and counts for it when it is inside that goal's window, so no touch is credited twice.
    Goals are those in the time range; their touches are read from a look-back before it (the window for
    CUSTOMIZE, a day for SESSION and CURRENT_DAY), so a goal early in the range keeps its earlier touches;
    total_triggers counts the touches in the range and those earlier ones credited to a goal in it.
    A touch event matching two touchpoints counts for the first.
    """
    touches = request.event_and_conditions
    goal = request.target_event_and_condition
    flags = ", ".join(f"$touch{i} as t{i}" for i in range(1, len(touches) + 1))
    which = " ".join(f"when t{i} then {i}" for i in range(1, len(touches) + 1))
    windows = {
        "SESSION": "t.sid = g.sid",
        "CURRENT_DAY": "t.d = g.d",  # the same day in the app's zone
        "CUSTOMIZE": "t.ts >= g.ts - $window",
    }
    template = f"""
        with base as (select $user as u, session_id as sid, event_id as e, event_timestamp as ts,
                             cast($local as date) as d, $goal as is_goal, $goal_value as goal_value, {flags}
                      from events where $scope and $any_event),
        ordered as (select *, sum(case when is_goal then 1 else 0 end) over (
                        partition by u order by ts, case when is_goal then 1 else 0 end, e rows unbounded preceding
                    ) as goals_so_far from base),
        goals as (select u, sid, e, ts, d, goals_so_far as goal_number, coalesce(goal_value, 0) as goal_value
                  from ordered where is_goal and ts >= $start),
        touches as (select u, sid, e, ts, d, goals_so_far + 1 as next_goal, case {which} end as touch
                    from ordered where not is_goal and ({" or ".join(f"t{i}" for i in range(1, len(touches) + 1))})),
        pairs as (select g.e as goal_id, g.goal_value, t.e as touch_id, t.touch,
                         date_diff('millisecond', t.ts, g.ts) / 1000.0 as elapsed,
                         row_number() over (partition by g.e order by t.ts, t.e) as pos,
                         count(*) over (partition by g.e) as n
                  from goals as g join touches as t
                  on t.u = g.u and t.next_goal = g.goal_number and {windows[request.time_window_type]}),
        credited as (select touch, touch_id, goal_value * ({_credit(request)}) as credit from pairs),
        totals as (select t.touch, count(*) as total from touches as t
                   left join (select distinct touch_id from pairs) as p on p.touch_id = t.e
                   where t.ts >= $start or p.touch_id is not null group by t.touch),
        shares as (select touch, count(distinct touch_id) as with_conversion, sum(credit) as contribution
                   from credited group by touch)
        select totals.touch, totals.total as total_triggers, coalesce(shares.with_conversion, 0) as triggers_with_conversion,
               coalesce(shares.contribution, 0) as contribution
        from totals left join shares on shares.touch = totals.touch order by totals.touch
    """  # noqa: E501
    lookback = timedelta(seconds=request.time_window_in_seconds if request.time_window_type == "CUSTOMIZE" else 86400)
    slots = {f"touch{i}": event_filter(catalog, request.app_id, touch.event_name, touch.sql_condition)
             for i, touch in enumerate(touches, start=1)}  # fmt: skip
    goal_filter = event_filter(catalog, request.app_id, goal.event_name, goal.sql_condition)
    if (goal.compute_method or "EVENT_CNT") == "SUM_VALUE":
        target = goal.event_ext_parameter.target_property if goal.event_ext_parameter else None
        prop = catalog.property(request.app_id, target.property if target else "event_value",
                                target.category if target else "event")  # fmt: skip
        goal_value: exp.Expr = property_number(request.app_id, prop)
    else:
        goal_value = exp.Literal.number(1)
    slots.update(
        goal=goal_filter,
        goal_value=goal_value,
        user=merged_user(request.app_id),
        scope=scope(catalog, request, now, lookback=lookback),
        start=timestamp(time_range(request, now)[0]),
        local=local_time(request),
        any_event=any_of([goal_filter, *[slots[f"touch{i}"] for i in range(1, len(touches) + 1)]]),
    )
    if request.time_window_type == "CUSTOMIZE":
        slots["window"] = seconds(request.time_window_in_seconds)
    if request.model_type == "TIME_DECAY":
        slots["half_life"] = number(request.time_decay_half_life_in_seconds)
    if request.model_type == "POSITION":
        first, middle, last = request.model_weights or [0.4, 0.2, 0.4]
        total = first + middle + last
        if total <= 0:
            raise BadRequest("modelWeights must not all be 0")
        ends = first + last or 1.0
        slots.update(w_first=number(first / total), w_middle=number(middle / total), w_last=number(last / total),
                     w_first2=number(first / ends if first + last else 0.5),
                     w_last2=number(last / ends if first + last else 0.5))  # fmt: skip
    names = [touch.event_name for touch in touches]

    def shape(rows: Rows) -> Rows:
        total = sum(float(row["contribution"] or 0) for row in rows)
        return [{
            "touchpoint": row["touch"], "event_name": names[row["touch"] - 1],
            "total_triggers": row["total_triggers"], "triggers_with_conversion": row["triggers_with_conversion"],
            "contribution": round(float(row["contribution"] or 0), 4),
            "contribution_rate": round(float(row["contribution"] or 0) / total, 4) if total else 0.0,
        } for row in rows]  # fmt: skip

    return Analysis("attribution", fill(template, **slots), shape)

"""The path analysis: the nodes after the start node within a session (or until a pause of lagSeconds or
more), in time then event_id order, as links between step k and step k+1 for the Sankey.

Semantics (docs/studio.md), as the original console's path request:

* nodes are event names (``nodeType: event``) or a page/screen property of ``_page_view`` /
  ``_screen_view`` events; the start node is the first of ``eventAndConditions`` (the original's console
  lists every chosen node there and in ``pathAnalysis.nodes``); with nodes listed besides the start,
  the others become ``other`` (``includingOtherEvents``, off unless sent, as the original) or are left
  out; with the start alone every node shows by name (the original's "start from" form);
* event paths leave out the original's preset events (:data:`BUILT_IN_EVENTS`: ``_user_engagement``,
  ``_scroll``, ``_app_end``, ``_page_view``, ...) unless one is the start node or a listed node: they are
  noise between the events an analyst picked, and the original drops them the same way;
* a listed node's conditions (its ``sqlCondition`` in ``eventAndConditions``) decide which of its events
  count: one that fails them is left out of the paths altogether (neither a start nor a later step); a
  path starts at its first remaining start-node event;
* ``levels`` (the original's top-level ``maxStep``; 5 when absent, as there) is how many nodes a path
  shows, the start included;
* ``computeMethod`` ``EVENT_CNT`` counts links (one per path and step); any other method, the default
  ``USER_ID_CNT`` included, counts the distinct users who made the link, as the original does; users
  are merged users (the signed-in id, else the device: studio/analyses.py), and a ``lagSeconds`` path
  runs over a merged user's events from all their devices.

It has two plans with one answer (tests/studio/test_path_plans.py): per-level hash joins on DuckDB, and
window passes for Redshift and Athena, which lack DuckDB's struct MIN.
"""

from __future__ import annotations

from datetime import datetime

from sqlglot import exp

from clickstream.studio.analyses import Analysis, plain_rows
from clickstream.studio.catalog import Catalog
from clickstream.studio.model import ConditionGroup, PathRequest
from clickstream.studio.sqlbuild import condition_group, fill, merged_user, number, scope, seconds, text

PAGE_EVENTS = {"page_view_page_title": "_page_view", "page_view_page_url": "_page_view",
               "screen_view_screen_name": "_screen_view", "screen_view_screen_id": "_screen_view"}  # fmt: skip
OTHER = "other"
# The original's preset events (its BUILTIN_EVENTS), left out of event paths unless chosen as a node.
BUILT_IN_EVENTS = (
    "_session_start", "_session_stop", "_screen_view", "_app_exception", "_app_update", "_first_open",
    "_os_update", "_user_engagement", "_profile_set", "_page_view", "_app_start", "_scroll", "_search",
    "_click", "_clickstream_error", "_mp_share", "_mp_favorite", "_app_end",
)  # fmt: skip


def path_analysis(catalog: Catalog, request: PathRequest, now: datetime | None = None) -> Analysis:
    settings = request.path_analysis
    start, listed = request.start, request.listed
    # the start alone listed is the original's "start from" form (one event, or one page): every node by name
    shown = listed if any(name != start for name in listed) else []
    if settings.node_type == "event":
        node: exp.Expr = exp.column("event_name")
        noise = [name for name in BUILT_IN_EVENTS if name not in listed]
        node_events: exp.Expr = (exp.Not(this=exp.In(this=node.copy(), expressions=[text(name) for name in noise]))
                                 if noise else exp.true())  # fmt: skip
    else:
        node = exp.Cast(this=exp.column(settings.node_type), to=exp.DataType.build("varchar"))
        page_event = exp.Literal.string(PAGE_EVENTS[settings.node_type])
        node_events = exp.and_(exp.EQ(this=exp.column("event_name"), expression=page_event),
                               exp.Not(this=exp.Is(this=node.copy(), expression=exp.Null())))  # fmt: skip
    for name, groups in _conditions_by_node(request).items():
        # an event of a listed node that fails its conditions (or gives null) is in no path
        passes = exp.Coalesce(this=exp.Paren(this=exp.or_(*[
            exp.Paren(this=condition_group(catalog, request.app_id, group)) for group in groups])),
            expressions=[exp.false()])  # fmt: skip
        node_events = exp.and_(node_events, exp.Paren(this=exp.or_(
            exp.NEQ(this=node.copy(), expression=text(name)), passes)))  # fmt: skip
    if shown:
        on_the_list = exp.In(this=node.copy(), expressions=[text(name) for name in shown])
        mapped: exp.Expr = exp.Case(ifs=[exp.If(this=on_the_list, true=node.copy())], default=text(OTHER))
        if not settings.including_other_events:
            node_events = exp.and_(node_events, on_the_list.copy())
    else:
        mapped = node
    users = request.compute_method != "EVENT_CNT"
    who = ", usr" if users else ""
    # A path is a (u, p) pair: a session (its session_key, p constant), or a user's run of events without a
    # pause of lagSeconds (the merged user's, as the original: a signed-in user's devices make one run).
    # Events are ordered by time, then event_id: events of one session often share a millisecond, and
    # without the tie-breaker the order (and so the answer) would change between runs.
    if settings.session_type == "SESSION":
        key = "session_key"
        paths = f"select u, 0 as p{who}, ts, e, node from base"
    else:
        key = "$user"
        # a pause of lagSeconds or more ends a path (the original keeps a gap shorter than lagSeconds)
        paths = (f"select u, sum(gap) over (partition by u order by ts, e rows unbounded preceding) as p{who}, ts, e, "
                 "node from (select *, case when lag(ts) over (partition by u order by ts, e) is null "
                 "or ts >= lag(ts) over (partition by u order by ts, e) + $lag then 1 else 0 end as gap from base) "
                 "as gaps")  # fmt: skip
    user = ", $user as usr" if users else ""
    base = (f"select {key} as u{user}, event_id as e, event_timestamp as ts, $node as node from events "
            "where $scope and $node_events")  # fmt: skip
    slots = {"node": mapped, "scope": scope(catalog, request, now), "node_events": node_events,
             "levels": number(settings.levels), "user": merged_user(request.app_id)}  # fmt: skip
    if start is not None:
        slots["start"] = text(start)
    if settings.session_type == "CUSTOMIZE":
        assert settings.lag_seconds is not None
        slots["lag"] = seconds(settings.lag_seconds)
    merge = settings.merge_consecutive_events
    duckdb_tree = fill(_path_by_steps(base, paths, merge, start is not None, settings.levels, users), **slots)
    portable = fill(_path_by_windows(base, paths, merge, start is not None, users), **slots)
    return Analysis("path", duckdb_tree, plain_rows, portable)


def _conditions_by_node(request: PathRequest) -> dict[str, list[ConditionGroup]]:
    """Per listed node with conditions, the condition groups of which one must hold; a node listed once
    without conditions keeps all its events (as the original's union of each chosen event's rows)."""
    groups: dict[str, list[ConditionGroup]] = {}
    unconditional: set[str] = set()
    for entry in request.event_and_conditions:
        if entry.sql_condition is None or not entry.sql_condition.conditions:
            unconditional.add(entry.event_name)
        else:
            groups.setdefault(entry.event_name, []).append(entry.sql_condition)
    return {name: found for name, found in groups.items() if name not in unconditional}


def _count(users: bool) -> str:
    return "count(distinct usr)" if users else "count(*)"


def _path_by_steps(base: str, paths: str, merge: bool, from_start: bool, levels: int, users: bool) -> str:
    """DuckDB: each path's next node found by a hash join and a MIN per level, without sorting the events.

    Step 1 is the path's first start node (or first node); step k+1 is the first event after step k in
    (time, event_id) order, and with merging the first one whose node differs from step k's (the events
    in between repeat it, so merging drops them). A node is never null (event_name is required, page
    nodes skip nulls), so ``<>`` is exact. Each level is one hash join of the paths still going with their
    events, instead of the window passes below sorting every event of the range (decision 26). A path's
    user (one per session_key, the key itself for lagSeconds paths) rides along for the users count.
    """
    first = "where node = $start" if from_start else ""
    who, carried = (", min(usr) as usr", ", f.usr") if users else ("", "")
    ctes = [
        f"base as ({base})",
        f"paths as ({paths})",
        f"s1 as (select u, p{who}, min({{'ts': ts, 'e': e, 'node': node}}) as k from paths {first} group by u, p)",
    ]
    changed = " and b.node <> f.k.node" if merge else ""
    for step in range(2, levels + 1):
        ctes.append(
            f"s{step} as (select f.u, f.p{carried}, f.k.node as source, "
            f"min({{'ts': b.ts, 'e': b.e, 'node': b.node}}) as k from s{step - 1} as f join paths as b "
            f"on b.u = f.u and b.p = f.p and (b.ts > f.k.ts or (b.ts = f.k.ts and b.e > f.k.e)){changed} "
            f"group by f.u, f.p{carried}, f.k.node)"
        )
    link_user = ", usr" if users else ""
    links = " union all ".join(f"select {step - 1} as step, source, k.node as target{link_user} from s{step}"
                               for step in range(2, levels + 1))  # fmt: skip
    return f"""
        with {", ".join(ctes)}, linked as ({links})
        select step as source_step, source, target, {_count(users)} as count from linked
        group by 1, 2, 3 order by 1, 4 desc, 2, 3
    """


def _path_by_windows(base: str, paths: str, merge: bool, from_start: bool, users: bool) -> str:
    """Redshift and Athena (no list functions): the same answer with window passes over the events."""
    who = ", usr" if users else ""
    if merge:
        merged = (f"select u, p{who}, ts, e, node from (select *, lag(node) over (partition by u, p order by ts, e) "
                  "as previous from paths) as lagged where previous is null or previous <> node")  # fmt: skip
    else:
        merged = f"select u, p{who}, ts, e, node from paths"
    if from_start:
        steps = (f"select n.u, n.p{who and ', n.usr'}, n.rn - s.start_rn + 1 as step, n.node from numbered as n "
                 "join (select u, p, min(rn) as start_rn from numbered where node = $start group by u, p) as s "
                 "on s.u = n.u and s.p = n.p where n.rn >= s.start_rn and n.rn < s.start_rn + $levels")  # fmt: skip
    else:  # every path from its first node
        steps = f"select u, p{who}, rn as step, node from numbered where rn <= $levels"
    return f"""
        with base as ({base}),
        paths as ({paths}),
        merged as ({merged}),
        numbered as (select u, p{who}, node, row_number() over (partition by u, p order by ts, e) as rn from merged),
        steps as ({steps}),
        linked as (select step, node as source, lead(node) over (partition by u, p order by step) as target{who}
                   from steps)
        select step as source_step, source, target, {_count(users)} as count from linked where target is not null
        group by 1, 2, 3 order by 1, 4 desc, 2, 3
    """

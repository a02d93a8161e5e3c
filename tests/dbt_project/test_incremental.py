"""The session-keyed incremental engine: several small runs build exactly what one full refresh builds.

The scenario is loaded into ``ods`` in three steps, as three ETL cycles would, with dbt run after
each step (``clickstream__backfill_limit_days: 1``, so the last step takes several runs). It holds a
session crossing midnight and run boundaries, an SDK retry arriving in a later run, a late event
inside ``clickstream__days_late_allowed`` and one beyond it, a bot session that never ends, a file
loaded after newer ones (inside the lookback window), an anonymous user who signs in later, and a
``user_pseudo_id`` shared by two apps (one in Europe/Berlin). Then the marts are rebuilt with
``--full-refresh`` and must be identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clickstream.config import Config
from clickstream.modeling import run_dbt
from tests.dbt_project.warehouse import load_tables, query
from tests.support.config import make_config

pytestmark = pytest.mark.slow

DAY = datetime(2024, 3, 10, tzinfo=UTC)
CORE = ["fct_events", "fct_sessions", "fct_event_items", "fct_page_screen_views", "dim_users"]
REPORTS = [
    "rpt_acquisition__day_user_view_cnt", "rpt_acquisition__intra_day_user", "rpt_acquisition__day_traffic_source_user",
    "rpt_acquisition__day_user_acquisition", "rpt_acquisition__country_new_user", "rpt_engagement__day_event_view",
    "rpt_engagement__kpi", "rpt_engagement__page_screen_view", "rpt_engagement__page_screen_view_detail",
    "rpt_engagement__entrance", "rpt_engagement__exit", "rpt_engagement__event_name", "rpt_retention__user_new_return",
    "rpt_retention__dau_wau", "rpt_retention__event_overtime", "rpt_device__crash_rate", "rpt_device__user_device",
    "rpt_lifecycle__weekly_view", "rpt_retention__view",
]  # fmt: skip
METADATA = ["meta_event", "meta_event_parameter", "meta_user_attribute"]
MARTS = CORE + REPORTS + METADATA
INCREMENTAL_VARS = '{"clickstream__backfill_limit_days": 1}'


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hours, minutes=minutes)


def msec(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def event(
    app: str, user: str, session: str | None, event_id: str, name: str, when: datetime,
    received: datetime | None = None, **columns: Any,
) -> dict[str, Any]:  # fmt: skip
    """An event_v2 row as the ETL writes it; received defaults to one second after it happened."""
    received = received or when + timedelta(seconds=1)
    return {
        "event_timestamp": when.replace(tzinfo=None), "event_id": event_id, "event_time_msec": msec(when),
        "event_name": name, "ingest_time_msec": msec(received), "platform": "Web", "project_id": "test",
        "app_id": app, "user_pseudo_id": user, "session_id": session, **columns,
    }  # fmt: skip


def page(app: str, user: str, session: str, event_id: str, when: datetime, path: str, **columns: Any) -> dict[str, Any]:
    return event(app, user, session, event_id, "_page_view", when, page_view_page_url_path=path, **columns)


def engagement(app: str, user: str, session: str, event_id: str, when: datetime, ms: int) -> dict[str, Any]:
    return event(app, user, session, event_id, "_user_engagement", when, user_engagement_time_msec=ms)


def item(source: dict[str, Any], item_id: str, price: float) -> dict[str, Any]:
    keys = ("event_timestamp", "event_id", "event_name", "platform", "user_pseudo_id", "user_id", "app_id")
    return {**{key: source.get(key) for key in keys}, "item_id": item_id, "price": price}


def bot_events(first: int, last: int) -> list[dict[str, Any]]:
    """A crawler-like session: a page view every 12 hours, for days."""
    return [page("shop", "bot", "b", f"bot-{n}", at(hours=12 * n), f"/p{n}") for n in range(first, last + 1)]


CART = event(
    "shop", "u_dup", "d", "cart-1", "_add_to_cart", at(hours=12, minutes=5),
    custom_parameters=[("coupon", {"value": "SPRING", "type": "string"})],
)  # fmt: skip
RETRIED = page("shop", "u_dup", "d", "dup-1", at(hours=12), "/deals", traffic_source_source="newsletter")
STEP_1: dict[str, Any] = {
    "event_v2": [
        event(
            "shop", "u_mid", "m", "mid-0", "_session_start", at(hours=23, minutes=50), traffic_source_source="Direct"
        ),
        page("shop", "u_mid", "m", "mid-1", at(hours=23, minutes=50.1), "/home"),
        engagement("shop", "u_mid", "m", "mid-2", at(hours=23, minutes=55), 4000),
        RETRIED,
        CART,
        *bot_events(0, 1),
        event("shop", "u_anon", "a1", "anon-1", "_session_start", at(hours=10)),
        page("shop", "u_anon", "a1", "anon-2", at(hours=10, minutes=1), "/"),
        page("shop", "shared", "x", "shared-shop", at(hours=11), "/"),
        page("shop_eu", "shared", "x", "shared-eu", at(hours=11), "/start"),
        event("shop", "u_late", "l", "late-0", "_session_start", at(hours=19)),
    ],
    "item_v2": [item(CART, "sku-1", 9.5), item(CART, "sku-2", 3.0)],
}
STEP_2: dict[str, Any] = {
    "event_v2": [
        page("shop", "u_mid", "m", "mid-3", at(days=1, minutes=10), "/products"),
        engagement("shop", "u_mid", "m", "mid-4", at(days=1, minutes=15), 6000),
        {**RETRIED, "ingest_time_msec": msec(at(days=1, hours=1)), "traffic_source_source": "retry-copy"},
        *bot_events(2, 3),
        event("shop", "u_anon", "a2", "anon-3", "_session_start", at(days=1, hours=9), user_id="alice"),
        page("shop", "u_anon", "a2", "anon-4", at(days=1, hours=9, minutes=1), "/account", user_id="alice"),
        # a day late: inside clickstream__days_late_allowed (3), kept and added to session l
        page("shop", "u_late", "l", "late-1", at(hours=20), "/late", received=at(days=1, hours=20)),
        # five days late: beyond it, ignored by both the incremental runs and the full refresh
        page("shop", "u_late", "l", "late-2", at(days=-4), "/too-late", received=at(days=1, hours=20)),
        page("shop", "u_last", "z", "last-2", at(days=1, hours=23), "/"),
    ],
    "item_v2": [item(CART, "sku-1", 9.5)],  # the retried request repeated its items
    "user_v2": [
        {
            "event_timestamp": at(days=1, hours=9, minutes=1).replace(tzinfo=None), "user_pseudo_id": "u_anon",
            "user_id": "alice", "app_id": "shop",
            "user_properties": [("plan", {"value": "pro", "type": "string", "set_time_msec": msec(at(days=1))})],
            "user_properties_json_str": '{"plan": {"value": "pro", "set_time_msec": 1710115200000}}',
        }
    ],
}  # fmt: skip
STEP_3: dict[str, Any] = {
    "event_v2": [
        *bot_events(4, 9),
        # received before step 2's newest event but loaded only now: within the 6-hour lookback
        page("shop_eu", "u_eu", "e", "eu-late-load", at(days=1, hours=22), "/", received=at(days=1, hours=22)),
        # 23:30 UTC is the next day in Berlin
        page("shop_eu", "shared", "y", "shared-eu-2", at(days=2, hours=23, minutes=30), "/again"),
        page("shop", "u_anon", "a3", "anon-5", at(days=3, hours=8), "/"),
        # alice again, on a second device
        page("shop", "u_phone", "p", "phone-1", at(days=3, hours=9), "/phone", user_id="alice"),
    ],
    "item_v2": [],
}


def rounded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Floats to 9 digits: sums of the same values in another order may differ in the last bit."""
    return tuple(round(value, 9) if isinstance(value, float) else value for value in row)


def snapshot(config: Config) -> dict[str, list[tuple[Any, ...]]]:
    return {name: sorted(map(rounded, query(config, f"select * from analytics.{name}")), key=repr) for name in MARTS}


def run_until_caught_up(config: Config) -> int:
    """`dbt run` until the run window reaches the newest loaded event; returns the number of runs."""
    for runs in range(1, 10):
        run_dbt(config, ["run", "--vars", INCREMENTAL_VARS])
        [(upper, newest)] = query(
            config,
            "select upper_limit_msec, (select max(ingest_time_msec) from ods.event_v2) from analytics.int_run_limits",
        )
        if upper == newest:
            return runs
    raise AssertionError("the incremental runs never caught up")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, dict[str, Any]]]:
    home = tmp_path_factory.mktemp("incremental") / "home"
    config = make_config(
        home, apps=[{"id": "shop"}, {"id": "shop_eu", "timezone": "Europe/Berlin"}], etl={"freshness_hours": 72}
    )
    runs = []
    for step in (STEP_1, STEP_2, STEP_3):
        load_tables(config, step)
        runs.append(run_until_caught_up(config))
    incremental = snapshot(config)
    run_dbt(config, ["build"])  # data tests and unit tests on the incrementally built tables
    run_dbt(config, ["run", "--full-refresh"])
    yield config, {"runs": runs, "incremental": incremental, "full": snapshot(config)}


def test_several_small_runs_give_exactly_what_one_full_refresh_gives(built: tuple[Config, dict[str, Any]]) -> None:
    _, result = built
    assert result["runs"][2] >= 3, "the last step should need several runs (backfill limit of one day)"
    for name in MARTS:
        assert result["incremental"][name] or name in ("rpt_acquisition__country_new_user", "rpt_device__crash_rate"), (
            name
        )
        assert result["incremental"][name] == result["full"][name], f"{name} differs from the full refresh"


def test_a_retried_event_is_kept_once_as_first_received(built: tuple[Config, dict[str, Any]]) -> None:
    config, _ = built
    rows = query(
        config, "select ingest_time_msec, traffic_source_source from analytics.fct_events where event_id = 'dup-1'"
    )
    assert rows == [(RETRIED["ingest_time_msec"], "newsletter")]
    items = query(config, "select item_id from analytics.fct_event_items order by item_id")
    assert items == [("sku-1",), ("sku-2",)]


def test_a_session_crossing_midnight_and_runs_is_one_row_from_all_its_events(
    built: tuple[Config, dict[str, Any]],
) -> None:
    config, _ = built
    [row] = query(
        config,
        "select session_date, session_events, session_views, session_entry_view, session_exit_view,"
        " session_engagement_time_msec from analytics.fct_sessions where session_id = 'm'",
    )
    assert row == (DAY.date(), 5, 2, "/home", "/products", 10000)
    views = query(
        config,
        "select view_name, view_index, is_entrance, is_exit, engagement_time_msec"
        " from analytics.fct_page_screen_views where session_id = 'm' order by view_index",
    )
    assert views == [("/home", 1, True, False, 4000), ("/products", 2, False, True, 6000)]


def test_late_events_inside_the_allowance_count_and_beyond_it_are_ignored(
    built: tuple[Config, dict[str, Any]],
) -> None:
    config, _ = built
    ids = {row[0] for row in query(config, "select event_id from analytics.fct_events where session_id = 'l'")}
    assert ids == {"late-0", "late-1"}
    assert query(config, "select count(*) from analytics.fct_events where event_id = 'eu-late-load'") == [(1,)]


def test_a_never_ending_session_is_capped_and_quarantined(built: tuple[Config, dict[str, Any]]) -> None:
    config, _ = built
    assert query(config, "select session_id from analytics.int_quarantined_sessions") == [("b",)]
    # ingest times 0h..72h after the first event are inside the 3-day cap: views 0 to 6
    [(events,)] = query(config, "select session_events from analytics.fct_sessions where session_id = 'b'")
    assert events == 7


def test_an_anonymous_user_who_signs_in_gets_the_user_id_and_lifetime_totals(
    built: tuple[Config, dict[str, Any]],
) -> None:
    config, _ = built
    [row] = query(
        config,
        "select user_id, lifetime_sessions, lifetime_events, lifetime_views, first_session_date, last_session_date"
        " from analytics.dim_users where user_pseudo_id = 'u_anon'",
    )
    assert row == ("alice", 3, 5, 3, DAY.date(), (DAY + timedelta(days=3)).date())


def test_the_devices_of_one_signed_in_user_are_stitched_into_one_person(built: tuple[Config, dict[str, Any]]) -> None:
    config, _ = built
    rows = query(
        config,
        "select merged_user_id, devices, lifetime_sessions from analytics.dim_users_stitched"
        " where merged_user_id in ('alice', 'u_dup') order by 1",
    )
    assert rows == [("alice", 2, 4), ("u_dup", 1, 1)]


def test_apps_sharing_a_user_pseudo_id_keep_separate_users_and_local_dates(
    built: tuple[Config, dict[str, Any]],
) -> None:
    config, _ = built
    users = query(config, "select app_id, lifetime_sessions from analytics.dim_users where user_pseudo_id = 'shared'")
    assert sorted(users) == [("shop", 1), ("shop_eu", 2)]
    [(local_date,)] = query(config, "select event_date from analytics.fct_events where event_id = 'shared-eu-2'")
    assert local_date == (DAY + timedelta(days=3)).date()

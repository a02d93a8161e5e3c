"""Parity of the rpt_* models with the original's report definitions, on small hand-built scenarios.

One dbt project is built on hand-made ``ods.event_v2`` rows. Each app holds one scenario, so the
behaviours do not disturb each other's counts:

* ``shop`` (UTC): a web user (OS only in the user agent) who first opens on 8 January from a paid
  search and comes back Direct on the 9th; an Android user who first opens on the 9th. Page titles
  NULL and empty.
* ``shop_ny`` (America/New_York): a user whose first open is 03:00 UTC on the 9th, 22:00 on the 8th
  in New York, and who comes back at 10:00 New York time on the 9th.
* ``eng`` (UTC): sessions at the engaged boundary (10000 ms, 1 and 2 views) and one across midnight.
* ``life`` (UTC): session starts over four weeks, one user per lifecycle path.
* ``ret`` (UTC): retention cohorts and the original's rules (day-0 activity, events at or after the
  first touch, the 42-day cap).
* ``det`` (UTC): page and screen details: a web user whose page title is on every event, a view without
  a session id, and an Android user whose `_user_engagement` carries no screen name.
* ``nosess`` (UTC): events without a session id beside a session, in the KPI and acquisition reports.
* ``plat`` (UTC): one device id starting sessions on Web, then on Android the next week.
* ``daily`` (UTC): the daily counts (events, views, active users, crashes) with one person signed in on
  two devices, so the merged user id counts them once.

Every expected value is worked out by hand from the original's SQL (src/analytics/private/sqls/redshift/
dashboard/ in awslabs/clickstream-analytics-on-aws); the arithmetic is in the comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from clickstream.config import Config
from clickstream.modeling import run_dbt
from tests.dbt_project.warehouse import load_tables, query
from tests.support.config import make_config

pytestmark = pytest.mark.slow

JAN_8 = date(2024, 1, 8)  # a Monday
JAN_9 = date(2024, 1, 9)


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def msec(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def event(
    app: str, user: str, session: str | None, event_id: str, name: str, when: datetime, **columns: Any
) -> dict[str, Any]:
    """An event_v2 row as the ETL writes it (received one second after it happened)."""
    return {
        "event_timestamp": when.replace(tzinfo=None), "event_id": event_id, "event_time_msec": msec(when),
        "event_name": name, "ingest_time_msec": msec(when) + 1000, "platform": "Web", "project_id": "test",
        "app_id": app, "user_pseudo_id": user, "session_id": session, **columns,
    }  # fmt: skip


def visit(app: str, user: str, session: str, when: datetime, names: list[str], **columns: Any) -> list[dict[str, Any]]:
    """Several events of one session at the same moment (ids: <session>-<n>)."""
    return [event(app, user, session, f"{app}-{session}-{n}", name, when, **columns) for n, name in enumerate(names)]


# --- shop: web versus mobile, new versus returning, first touch, null and empty names
WEB = {
    "device_ua_os": "Windows", "device_ua_os_version": "10", "device_ua_browser": "Chrome",
    "device_screen_width": 1920, "geo_country": "Germany", "geo_city": "Berlin",
}  # fmt: skip
PAID = {
    "traffic_source_source": "google", "traffic_source_medium": "cpc", "traffic_source_channel_group": "Paid Search",
}  # fmt: skip
ANDROID = {
    "platform": "Android", "device_operating_system": "Android", "device_operating_system_version": "14",
    "device_ua_os": "Linux", "device_screen_width": 1080, "device_screen_height": 2400,
    "geo_country": "United States", "geo_city": "New York", "app_install_source": "google_play",
}  # fmt: skip
SHOP = [
    # w1, 8 Jan: first open from google / cpc; its page has no title (NULL)
    *visit("shop", "w1", "s1", at(JAN_8, 10), ["_first_open", "_session_start"], **WEB, **PAID),
    event("shop", "w1", "s1", "shop-s1-view", "_page_view", at(JAN_8, 10), page_view_page_url_path="/", **WEB, **PAID),
    # w1, 9 Jan: back, Direct (no medium); the page's title is empty
    event("shop", "w1", "s2", "shop-s2-start", "_session_start", at(JAN_9, 9), traffic_source_source="Direct", **WEB),
    event(
        "shop",
        "w1",
        "s2",
        "shop-s2-view",
        "_page_view",
        at(JAN_9, 9),
        page_view_page_title="",
        page_view_page_url_path="/cart",
        traffic_source_source="Direct",
        **WEB,
    ),
    # a1, 9 Jan: Android first open, no traffic source
    *visit("shop", "a1", "m1", at(JAN_9, 8), ["_first_open", "_session_start"], **ANDROID),
    event(
        "shop",
        "a1",
        "m1",
        "shop-m1-view",
        "_screen_view",
        at(JAN_9, 8),
        screen_view_screen_name="Home",
        screen_view_screen_id="HomeActivity",
        **ANDROID,
    ),
]

# --- shop_ny: first open at 03:00 UTC on 9 Jan = 22:00 on 8 Jan in New York (UTC-5 in winter)
NY_FIRST = at(JAN_9, 3)
SHOP_NY = [
    *visit("shop_ny", "n1", "y1", NY_FIRST, ["_first_open", "_session_start", "_page_view"]),
    *visit("shop_ny", "n1", "y2", at(JAN_9, 15), ["_session_start", "_page_view"]),  # 10:00 on the 9th there
]


# --- eng: the engaged rule (views > 1 or session duration > 10000 ms, per day) and midnight
def engaged_session(
    user: str, session: str, start: datetime, views: int, duration: int, ms: int
) -> list[dict[str, Any]]:
    """A session of `views` page views, then a _user_engagement of `ms` at session duration `duration`."""
    rows = [event("eng", user, session, f"{session}-start", "_session_start", start, session_duration=0)]
    rows += [
        event("eng", user, session, f"{session}-view{n}", "_page_view", start, session_duration=0) for n in range(views)
    ]
    rows.append(
        event(
            "eng", user, session, f"{session}-eng", "_user_engagement", start + timedelta(milliseconds=duration),
            session_duration=duration, user_engagement_time_msec=ms,
        )
    )  # fmt: skip
    return rows


ENG = [
    *engaged_session("A", "k1", at(JAN_8, 9), views=1, duration=10000, ms=3000),  # exactly 10000 ms: not engaged
    *engaged_session("A", "k2", at(JAN_8, 11), views=1, duration=10001, ms=4000),  # 10001 ms: engaged
    *engaged_session("B", "k3", at(JAN_8, 12), views=2, duration=3000, ms=5000),  # 2 views: engaged
    # C: one view at 23:55 on the 8th (duration 5 s), one after midnight (duration 8 min)
    *engaged_session("C", "k4", at(JAN_8, 23, 55), views=1, duration=5000, ms=2000),
    event("eng", "C", "k4", "k4-view-night", "_page_view", at(JAN_9, 0, 3), session_duration=480000),
    event(
        "eng",
        "C",
        "k4",
        "k4-eng-night",
        "_user_engagement",
        at(JAN_9, 0, 3, 10),
        session_duration=490000,
        user_engagement_time_msec=6000,
    ),
]

# --- life: weeks starting 8, 15, 22 and 29 January
WEEKS = [JAN_8 + timedelta(weeks=n) for n in range(4)]
LIFE = [
    event("life", user, f"{user}-{week}", f"{user}-{week}", "_session_start", at(week, 12))
    for user, weeks in {"kept": [0, 1], "gone": [0], "back": [0, 2], "late": [3]}.items()
    for week in (WEEKS[n] for n in weeks)
]

# --- ret: r_ok first opens on 8 Jan and comes back on days 1, 2, 42 and 43
RET_FIRST = at(JAN_8, 10)
EARLY_TOUCH = msec(at(JAN_8, 12))
RET = [
    *visit("ret", "r_ok", "o0", RET_FIRST, ["_first_open", "_session_start"]),
    *[
        event("ret", "r_ok", f"o{day}", f"o{day}", "_session_start", RET_FIRST + timedelta(days=day))
        for day in (1, 2, 42, 43)
    ],
    # first touch on the 8th (the SDK's user_first_touch_time_msec), but active only on the 9th
    event(
        "ret", "r_noday0", "n1", "noday0", "_session_start", at(JAN_9, 10), user_first_touch_time_msec=msec(RET_FIRST)
    ),
    # first touch at 12:00 on the 8th; an event at 11:00 that day (before it) and one on the 9th
    *[
        event("ret", "r_early", f"e{n}", f"early{n}", "_session_start", when, user_first_touch_time_msec=EARLY_TOUCH)
        for n, when in enumerate([at(JAN_8, 11), at(JAN_9, 10)])
    ],
]


# --- det: every web event carries its page; one page view has no session id
DET_AT = at(JAN_8, 14)
HOME = {"page_view_page_title": "Home"}
CART = {"page_view_page_title": "Cart"}
DET = [
    event("det", "d1", "t1", "det-open", "_first_open", DET_AT),  # no title
    event("det", "d1", "t1", "det-start", "_session_start", DET_AT, **HOME),
    event("det", "d1", "t1", "det-home", "_page_view", DET_AT, device_ua=[("string", "Mozilla/5.0 (X11)")], **HOME),
    event("det", "d1", "t1", "det-home-eng", "_user_engagement", DET_AT + timedelta(seconds=5),
          user_engagement_time_msec=4000, **HOME),
    event("det", "d1", "t1", "det-cart", "_page_view", DET_AT + timedelta(seconds=10), **CART),
    event("det", "d1", "t1", "det-cart-eng", "_user_engagement", DET_AT + timedelta(seconds=15),
          user_engagement_time_msec=2000, **CART),
    event("det", "d1", None, "det-home-again", "_page_view", DET_AT + timedelta(seconds=20), **HOME),
    # Android: the screen view carries its name, the _user_engagement after it does not
    event("det", "m1", "t2", "det-main", "_screen_view", DET_AT, platform="Android", screen_view_screen_name="Main"),
    event("det", "m1", "t2", "det-main-eng", "_user_engagement", DET_AT + timedelta(seconds=5), platform="Android",
          user_engagement_time_msec=3000),
]  # fmt: skip

# --- nosess: U has session q1 (engaged: duration 12000 ms > 10000) and three events without a session id
NOSESS = [
    event("nosess", "U", "q1", "q1-start", "_session_start", at(JAN_8, 9), session_duration=0),
    event("nosess", "U", "q1", "q1-view", "_page_view", at(JAN_8, 9), session_duration=0),
    event("nosess", "U", "q1", "q1-eng", "_user_engagement", at(JAN_8, 9, 0, 12), session_duration=12000,
          user_engagement_time_msec=5000),
    event("nosess", "U", None, "free-view1", "_page_view", at(JAN_8, 10)),
    event("nosess", "U", None, "free-view2", "_page_view", at(JAN_8, 11)),
    event("nosess", "U", None, "free-eng", "_user_engagement", at(JAN_8, 11, 0, 5), user_engagement_time_msec=1000),
]  # fmt: skip


# --- plat: p1 starts a session on Web in the week of 8 January and on Android in the week of 15 January
PLAT = [
    event("plat", "p1", "w", "plat-web", "_session_start", at(WEEKS[0], 12)),
    event("plat", "p1", "a", "plat-android", "_session_start", at(WEEKS[1], 12), platform="Android"),
]


# --- daily: alice signs in on a web browser (d1) and an Android phone (d2); d3 is anonymous
ALICE_WEB = {"user_id": "alice", "app_version": "1.0"}
DAILY = [
    *visit("daily", "d1", "t1", at(JAN_8, 9), ["_session_start", "_page_view", "_page_view", "_app_exception"],
           **ALICE_WEB),
    *visit("daily", "d2", "t2", at(JAN_8, 10), ["_session_start", "_screen_view"], platform="Android",
           user_id="alice", app_version="2.0"),
    *visit("daily", "d3", "t3", at(JAN_8, 11), ["_session_start", "purchase"], app_version="1.0"),
    event("daily", "d3", "t4", "daily-t4-view", "_page_view", at(JAN_9, 11), app_version="1.0"),
]  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Config]:
    home = tmp_path_factory.mktemp("parity_reports") / "home"
    apps = [{"id": "shop"}, {"id": "shop_ny", "timezone": "America/New_York"}, {"id": "eng"}, {"id": "life"}]
    apps += [{"id": "ret"}, {"id": "det"}, {"id": "nosess"}, {"id": "plat"}, {"id": "daily"}]
    config = make_config(home, apps=apps, etl={"freshness_hours": None})
    load_tables(config, {"event_v2": SHOP + SHOP_NY + ENG + LIFE + RET + DET + NOSESS + PLAT + DAILY})
    run_dbt(config, ["build", "--vars", '{"clickstream__backfill_limit_days": 100}'])
    yield config


# --- rpt_device__user_device
def test_web_users_take_the_user_agents_os_and_mobile_users_the_sdks(warehouse: Config) -> None:
    # original: coalesce(device_operating_system, device_ua_os), the same for the version
    rows = query(
        warehouse,
        "select user_id, platform, operating_system, operating_system_version from analytics.rpt_device__user_device"
        " where app_id = 'shop' group by all order by user_id",
    )
    assert rows == [("a1", "Android", "Android", "14"), ("w1", "Web", "Windows", "10")]


def test_a_screen_resolution_with_an_unknown_dimension_is_null(warehouse: Config) -> None:
    # deliberate difference: the original writes '1920 x ' for w1 (no height)
    rows = query(
        warehouse,
        "select user_id, device_screen_resolution from analytics.rpt_device__user_device"
        " where app_id = 'shop' group by all order by user_id",
    )
    assert rows == [("a1", "1080 x 2400"), ("w1", None)]


# --- rpt_acquisition__day_traffic_source_user
def test_first_touch_rows_hold_only_the_users_who_first_opened_that_day(warehouse: Config) -> None:
    # original: the User First * and App First Install Source rows read only _first_open events of the day;
    # w1 is active on the 9th too but first opened on the 8th
    rows = query(
        warehouse,
        "select event_date, aggregation_type, aggregation_dim, user_id"
        " from analytics.rpt_acquisition__day_traffic_source_user where app_id = 'shop'"
        " and aggregation_type in ('User First Traffic Source', 'App First Install Source') order by all",
    )
    assert rows == [
        (JAN_8, "App First Install Source", None, "w1"),
        (JAN_8, "User First Traffic Source", "google", "w1"),
        (JAN_9, "App First Install Source", "google_play", "a1"),
        (JAN_9, "User First Traffic Source", None, "a1"),
    ]


def test_session_rows_hold_every_active_user(warehouse: Config) -> None:
    rows = query(
        warehouse,
        "select event_date, aggregation_dim, user_id from analytics.rpt_acquisition__day_traffic_source_user"
        " where app_id = 'shop' and aggregation_type = 'Session Traffic Source' order by all",
    )
    assert rows == [(JAN_8, "google", "w1"), (JAN_9, "Direct", "w1"), (JAN_9, None, "a1")]


def test_source_medium_keeps_a_known_source_when_the_medium_is_missing(warehouse: Config) -> None:
    # deliberate difference: the original's source || ' / ' || medium is NULL for 'Direct' / NULL
    rows = query(
        warehouse,
        "select event_date, aggregation_type, aggregation_dim, user_id"
        " from analytics.rpt_acquisition__day_traffic_source_user where app_id = 'shop'"
        " and aggregation_type like '%Source / Medium' order by all",
    )
    assert rows == [
        (JAN_8, "Session Traffic Source / Medium", "google / cpc", "w1"),
        (JAN_8, "User First Traffic Source / Medium", "google / cpc", "w1"),
        (JAN_9, "Session Traffic Source / Medium", "Direct / ", "w1"),
        (JAN_9, "Session Traffic Source / Medium", None, "a1"),  # neither part known
        (JAN_9, "User First Traffic Source / Medium", None, "a1"),
    ]


# --- new versus returning users
def test_new_and_returning_users_per_day(warehouse: Config) -> None:
    # original: NEW when the day is the local date of the first touch
    rows = query(
        warehouse,
        "select event_date, platform, user_type, user_count from analytics.rpt_retention__user_new_return"
        " where app_id = 'shop' order by all",
    )
    assert rows == [(JAN_8, "Web", "NEW", 1), (JAN_9, "Android", "NEW", 1), (JAN_9, "Web", "RETURNING", 1)]


def test_day_user_view_counts_new_users_by_their_first_open(warehouse: Config) -> None:
    # original: new_users = distinct user_pseudo_id of _first_open events; views = _page_view + _screen_view
    rows = query(
        warehouse,
        "select event_date, platform, active_users, new_users, view_count"
        " from analytics.rpt_acquisition__day_user_view_cnt where app_id = 'shop' order by all",
    )
    assert rows == [(JAN_8, "Web", 1, 1, 1), (JAN_9, "Android", 1, 1, 1), (JAN_9, "Web", 1, 0, 1)]


def test_new_users_by_country_are_counted_where_they_first_opened(warehouse: Config) -> None:
    rows = query(
        warehouse,
        "select event_date, platform, geo_country, geo_city, user_count"
        " from analytics.rpt_acquisition__country_new_user where app_id = 'shop' order by all",
    )
    assert rows == [(JAN_8, "Web", "Germany", "Berlin", 1), (JAN_9, "Android", "United States", "New York", 1)]


def test_the_event_view_holds_the_user_id_on_first_open_events_only(warehouse: Config) -> None:
    # original: new_user_indicator = merged user id on _first_open, NULL otherwise; the dataset counts
    # distinct values: w1 and a1
    rows = query(
        warehouse,
        "select event_name, new_user_indicator from analytics.rpt_event_view"
        " where app_id = 'shop' and user_pseudo_id = 'w1' order by event_id",
    )
    assert rows == [
        ("_first_open", "w1"), ("_session_start", None), ("_page_view", None),
        ("_session_start", None), ("_page_view", None),
    ]  # fmt: skip
    [(new_users,)] = query(
        warehouse, "select count(distinct new_user_indicator) from analytics.rpt_event_view where app_id = 'shop'"
    )
    assert new_users == 2


def test_acquisition_counts_a_new_user_in_the_session_of_the_first_open(warehouse: Config) -> None:
    rows = query(
        warehouse,
        "select event_date, user_id, new_user_count, session_count from analytics.rpt_acquisition__day_user_acquisition"
        " where app_id = 'shop' and aggregation_type = 'User First Traffic Channel Group' order by all",
    )
    # every user counts under the first-touch dimensions here (original), new only on the first-open day
    assert rows == [(JAN_8, "w1", 1, 1), (JAN_9, "a1", 1, 1), (JAN_9, "w1", 0, 1)]


# --- null and empty page names
def test_page_views_without_a_title_count_under_a_null_title(warehouse: Config) -> None:
    # original: group by page_view_page_title over the day's events, counting _page_view events
    rows = query(
        warehouse,
        "select event_date, aggregation_type, aggregation_dim, view_count"
        " from analytics.rpt_engagement__page_screen_view where app_id = 'shop' order by all",
    )
    assert rows == [
        (JAN_8, "Page Title", None, 1),
        (JAN_8, "Page URL Path", "/", 1),
        (JAN_9, "Page Title", "", 1),
        (JAN_9, "Page URL Path", "/cart", 1),
        (JAN_9, "Screen Class", "HomeActivity", 1),
        (JAN_9, "Screen Name", "Home", 1),
    ]


def test_entrances_leave_out_a_null_title_but_keep_an_empty_one(warehouse: Config) -> None:
    # original: entrance rows filter `page_view_page_title is not null`
    rows = query(
        warehouse,
        "select event_date, aggregation_dim, entrance_count from analytics.rpt_engagement__entrance"
        " where app_id = 'shop' and aggregation_type = 'Page Title' order by all",
    )
    assert rows == [(JAN_9, "", 1)]


def test_event_value_is_null_when_no_event_had_one(warehouse: Config) -> None:
    rows = query(
        warehouse,
        "select event_name, event_value, event_count from analytics.rpt_engagement__event_name"
        " where app_id = 'shop' and user_id = 'w1' and event_date = '2024-01-08' order by all",
    )
    assert rows == [("_first_open", None, 1), ("_page_view", None, 1), ("_session_start", None, 1)]


# --- a non-UTC app
def test_a_new_york_app_dates_and_counts_by_its_local_day(warehouse: Config) -> None:
    # 03:00 UTC on the 9th is 22:00 on the 8th in New York: new on the 8th, returning on the 9th
    rows = query(
        warehouse,
        "select event_date, user_type, user_count from analytics.rpt_retention__user_new_return"
        " where app_id = 'shop_ny' order by all",
    )
    assert rows == [(JAN_8, "NEW", 1), (JAN_9, "RETURNING", 1)]
    first_touch = query(
        warehouse,
        "select event_date, aggregation_dim from analytics.rpt_acquisition__day_traffic_source_user"
        " where app_id = 'shop_ny' and aggregation_type = 'User First Traffic Source'",
    )
    assert first_touch == [(JAN_8, None)]


def test_a_new_york_app_counts_intra_day_users_by_its_local_hour(warehouse: Config) -> None:
    # original: date_trunc('hour', convert_timezone(tz, event_timestamp))
    rows = query(
        warehouse,
        "select event_date, event_hour, active_users, new_users from analytics.rpt_acquisition__intra_day_user"
        " where app_id = 'shop_ny' order by all",
    )
    assert rows == [(JAN_8, datetime(2024, 1, 8, 22), 1, 1), (JAN_9, datetime(2024, 1, 9, 10), 1, 0)]


def test_a_new_york_apps_retention_cohort_is_its_local_first_day(warehouse: Config) -> None:
    # first touch 22:00 on the 8th (local), back on the 9th: day 1
    rows = query(
        warehouse,
        "select first_date, day_diff, total_users, returned_user_count from analytics.rpt_retention__view"
        " where app_id = 'shop_ny' order by all",
    )
    assert rows == [(JAN_8, 0, 1, 1), (JAN_8, 1, 1, 1)]


# --- engaged sessions, the boundary and midnight (rpt_engagement__kpi)
def kpi(warehouse: Config, day: date) -> tuple[Any, ...]:
    [row] = query(
        warehouse,
        "select engaged_session_count, session_count, active_user_count, user_engagement_time_seconds,"
        " avg_engaged_session_per_user, avg_engagement_time_per_session_seconds, avg_engagement_time_per_user_seconds"
        f" from analytics.rpt_engagement__kpi where app_id = 'eng' and event_date = '{day}'",
    )
    return row


def test_a_session_of_exactly_10000_ms_and_one_view_is_not_engaged(warehouse: Config) -> None:
    # 8 Jan: k1 (1 view, 10000 ms) no; k2 (1 view, 10001 ms) yes; k3 (2 views, 3000 ms) yes;
    # k4 (1 view and 5000 ms before midnight) no -> 2 engaged of 4 sessions, users A, B, C
    engaged, sessions, users, *_ = kpi(warehouse, JAN_8)
    assert (engaged, sessions, users) == (2, 4, 3)


def test_only_engaged_sessions_engagement_time_counts(warehouse: Config) -> None:
    # 8 Jan: k2 4000 ms + k3 5000 ms = 9 s; per engaged session 9 / 2 = 4.5; per user 9 / 3 = 3.0;
    # engaged sessions per user 2 / 3
    *_, seconds, per_user_sessions, per_session, per_user = kpi(warehouse, JAN_8)
    assert seconds == pytest.approx(9.0)
    assert per_user_sessions == pytest.approx(2 / 3)
    assert per_session == pytest.approx(4.5)
    assert per_user == pytest.approx(3.0)


def test_a_session_across_midnight_is_judged_on_each_day_from_that_days_events(warehouse: Config) -> None:
    # 9 Jan: k4's events after midnight: 1 view, duration 490000 ms > 10000 -> engaged, 6000 ms
    assert kpi(warehouse, JAN_9) == pytest.approx((1, 1, 1, 6.0, 1.0, 6.0, 6.0))


def test_acquisition_judges_engagement_per_day_too(warehouse: Config) -> None:
    # per user and day: A 2 sessions, 1 engaged (k2, 4 s); B 1 engaged (k3, 5 s); C not engaged on the
    # 8th, engaged on the 9th (6 s); rate = engaged / sessions; avg = engaged time / engaged sessions
    rows = query(
        warehouse,
        "select event_date, user_id, session_count, engagement_session_count, engagement_rate,"
        " total_user_engagement_time_seconds, avg_user_engagement_time_seconds"
        " from analytics.rpt_acquisition__day_user_acquisition"
        " where app_id = 'eng' and aggregation_type = 'Session Traffic Source' order by all",
    )
    assert rows == [
        (JAN_8, "A", 2, 1, 0.5, 4.0, 4.0),
        (JAN_8, "B", 1, 1, 1.0, 5.0, 5.0),
        (JAN_8, "C", 1, 0, 0.0, 0.0, 0.0),
        (JAN_9, "C", 1, 1, 1.0, 6.0, 6.0),
    ]


# --- lifecycle (rpt_lifecycle__weekly_view)
def test_lifecycle_states_and_churn_below_zero(warehouse: Config) -> None:
    # week 1: kept, gone, back new (3). week 2: kept retained; gone and back churned (-2).
    # week 3: back returns; kept churned (-1). week 4: late new; back churned (-1).
    rows = query(
        warehouse,
        "select time_period, this_week_value, sum from analytics.rpt_lifecycle__weekly_view"
        " where app_id = 'life' order by all",
    )
    assert rows == [
        (WEEKS[0], "1-NEW", 3),
        (WEEKS[1], "0-CHURN", -2),
        (WEEKS[1], "2-RETAINED-ACTIVE", 1),
        (WEEKS[2], "0-CHURN", -1),
        (WEEKS[2], "3-RETURN", 1),
        (WEEKS[3], "0-CHURN", -1),
        (WEEKS[3], "1-NEW", 1),
    ]  # no week 5: deliberate, the original writes late's churn (-1) for the week after the data


def test_lifecycle_follows_a_device_on_each_platform(warehouse: Config) -> None:
    # deliberate difference: per platform, p1 is new on Web in week 1, new on Android in week 2, and Web
    # churns in week 2. The original (lag over user_pseudo_id across platforms): Web 1-NEW in week 1,
    # Android 2-RETAINED-ACTIVE in week 2, no churn for Web (and churn for Android in week 3).
    rows = query(
        warehouse,
        "select time_period, platform, this_week_value, sum from analytics.rpt_lifecycle__weekly_view"
        " where app_id = 'plat' order by all",
    )
    assert rows == [
        (WEEKS[0], "Web", "1-NEW", 1),
        (WEEKS[1], "Android", "1-NEW", 1),
        (WEEKS[1], "Web", "0-CHURN", -1),
    ]


# --- retention (rpt_retention__view)
def retention(warehouse: Config) -> dict[int, tuple[int, int]]:
    rows = query(
        warehouse,
        "select first_date, day_diff, total_users, returned_user_count from analytics.rpt_retention__view"
        " where app_id = 'ret'",
    )
    assert {row[0] for row in rows} == {JAN_8}
    return {day: (total, returned) for _, day, total, returned in rows}


def test_users_without_day_zero_activity_are_in_no_cohort(warehouse: Config) -> None:
    # r_noday0 (first touch the 8th, active the 9th only) and r_early (its day-0 event was before its
    # first touch) are left out: the cohort is r_ok alone, and day 1 counts only r_ok
    days = retention(warehouse)
    assert days[0] == (1, 1)
    assert days[1] == (1, 1)


def test_retention_has_a_zero_row_for_a_day_nobody_came_back(warehouse: Config) -> None:
    days = retention(warehouse)
    assert days[2] == (1, 1)
    assert days[3] == (1, 0)


def test_retention_stops_at_day_42(warehouse: Config) -> None:
    # r_ok is back on day 42 (19 Feb) and day 43 (20 Feb); days after 42 are not kept
    days = retention(warehouse)
    assert days[42] == (1, 1)
    assert max(days) == 42


# --- page and screen details (rpt_engagement__page_screen_view_detail)
def detail(warehouse: Config, aggregation_type: str) -> list[tuple[Any, ...]]:
    return query(
        warehouse,
        "select user_id, aggregation_dim, event_count, view_count, session_count, user_engagement_time_seconds"
        " from analytics.rpt_engagement__page_screen_view_detail"
        f" where app_id = 'det' and aggregation_type = '{aggregation_type}' order by all",
    )


def test_detail_counts_every_event_that_carries_the_page(warehouse: Config) -> None:
    # original: group every event of the day by page_view_page_title; event_count = distinct events,
    # view_count = _page_view events, session_count = distinct session_id (NULL not counted),
    # engagement = sum(user_engagement_time_msec) / 1000.
    # Home: _session_start, _page_view, _user_engagement (4000 ms), the session-less _page_view: 4 events,
    #   2 views, 1 session (t1), 4 s. Cart: _page_view, _user_engagement (2000 ms): 2, 1, 1, 2 s.
    # NULL: _first_open: 1 event, 0 views, 1 session, no engagement (NULL).
    # Ours credits Home's view with the 4000 ms reported after it and Cart's with the 2000 ms: the same here.
    rows = [row for row in detail(warehouse, "Page Title") if row[0] == "d1"]
    assert rows == [
        ("d1", "Cart", 2, 1, 1, 2.0),
        ("d1", "Home", 4, 2, 1, 4.0),
        ("d1", None, 1, 0, 1, None),
    ]


def test_detail_credits_a_screen_with_the_engagement_reported_after_it(warehouse: Config) -> None:
    # counts as the original: Main: the _screen_view (1 event, 1 view, 1 session); NULL: m1's
    # _user_engagement (1, 0, 1). Deliberate difference in the time: the original sums the engagement of
    # events carrying the name (Main NULL, the NULL row 3 s); ours credits Main's view with the 3000 ms
    # reported after it (Main 3 s, the NULL row, without views, NULL).
    rows = [row for row in detail(warehouse, "Screen Name") if row[0] == "m1"]
    assert rows == [("m1", "Main", 1, 1, 1, 3.0), ("m1", None, 1, 0, 1, None)]


def test_exits_are_the_sessions_last_titled_views(warehouse: Config) -> None:
    # t1's views: Home, then Cart (its last); the session-less Home view is no session's exit
    rows = query(
        warehouse,
        "select aggregation_dim, exit_count from analytics.rpt_engagement__exit"
        " where app_id = 'det' and aggregation_type = 'Page Title' order by all",
    )
    assert rows == [("Cart", 1)]


# --- events without a session id (rpt_engagement__kpi, rpt_acquisition__day_user_acquisition)
def test_the_kpi_judges_a_users_session_less_events_of_a_day_as_one_session(warehouse: Config) -> None:
    # original: group by (platform, session_id, merged user): q1 (1 view, 12000 ms > 10000: engaged, 5000 ms)
    # and U's NULL group (2 views > 1: engaged, 1000 ms) -> 2 engaged sessions, 1 user;
    # per user 2 / 1 = 2.0; time (5000 + 1000) / 1000 = 6 s; per engaged session 6 / 2 = 3.0; per user 6.0.
    # session_count (ours only) counts the two groups.
    [row] = query(
        warehouse,
        "select engaged_session_count, session_count, active_user_count, user_engagement_time_seconds,"
        " avg_engaged_session_per_user, avg_engagement_time_per_session_seconds, avg_engagement_time_per_user_seconds"
        " from analytics.rpt_engagement__kpi where app_id = 'nosess'",
    )
    assert row == pytest.approx((2, 2, 1, 6.0, 2.0, 3.0, 6.0))


def test_acquisition_leaves_out_events_without_a_session_id(warehouse: Config) -> None:
    # original: the day's (user, session_id) rows are joined to their traffic on session_id, which NULL never
    # matches: only q1 is left: 1 session, 1 engaged, rate 1 / 1, 5 s, average 5 / 1, 3 events
    rows = query(
        warehouse,
        "select user_id, session_count, engagement_session_count, engagement_rate,"
        " total_user_engagement_time_seconds, avg_user_engagement_time_seconds, event_count"
        " from analytics.rpt_acquisition__day_user_acquisition"
        " where app_id = 'nosess' and aggregation_type = 'Session Traffic Source'",
    )
    assert rows == [("U", 1, 1, 1.0, 5.0, 5.0, 3)]


# --- rpt_event_view: the original view's columns
def test_the_event_view_marks_views_with_their_session_and_event_ids(warehouse: Config) -> None:
    # original: view_session_indicator = session_id and view_event_indicator = event_id on _page_view and
    # _screen_view, NULL otherwise; device_ua_string = device_ua.string
    rows = query(
        warehouse,
        "select event_id, view_session_indicator, view_event_indicator, device_ua_string from analytics.rpt_event_view"
        " where app_id = 'det' and user_pseudo_id = 'd1' order by event_id",
    )
    assert rows == [
        ("det-cart", "t1", "det-cart", None),
        ("det-cart-eng", None, None, None),
        ("det-home", "t1", "det-home", "Mozilla/5.0 (X11)"),
        ("det-home-again", None, "det-home-again", None),  # a view without a session id
        ("det-home-eng", None, None, None),
        ("det-open", None, None, None),
        ("det-start", None, None, None),
    ]


def test_the_first_day_flag_uses_the_apps_local_dates(warehouse: Config) -> None:
    # deliberate difference: n1's first touch is 22:00 on the 8th in New York (03:00 UTC on the 9th); y2 is
    # 10:00 on the 9th there: not the first local day. The original compares UTC dates (both the 9th): 'true'.
    rows = query(
        warehouse,
        "select session_id, bool_and(is_first_day_event), bool_or(is_first_day_event) from analytics.rpt_event_view"
        " where app_id = 'shop_ny' group by session_id order by session_id",
    )
    assert rows == [("y1", True, True), ("y2", False, False)]


# --- daily counts: rpt_engagement__day_event_view, rpt_retention__event_overtime, rpt_retention__dau_wau,
# rpt_device__crash_rate
def test_events_and_views_are_counted_per_day_and_platform(warehouse: Config) -> None:
    # original: count(distinct event_id), count(distinct view_event_indicator) (the id of page/screen views)
    # 8 Jan Web: d1's 4 events (2 page views) + d3's 2 (none) = 6 events, 2 views; Android: d2's 2, 1 view;
    # 9 Jan Web: d3's page view
    rows = query(
        warehouse,
        "select event_date, platform, event_count, view_count from analytics.rpt_engagement__day_event_view"
        " where app_id = 'daily' order by 1, 2",
    )
    assert rows == [(JAN_8, "Android", 2, 1), (JAN_8, "Web", 6, 2), (JAN_9, "Web", 1, 1)]


def test_events_over_time_are_counted_per_day_and_platform(warehouse: Config) -> None:
    rows = query(
        warehouse,
        "select event_date, platform, event_count from analytics.rpt_retention__event_overtime"
        " where app_id = 'daily' order by 1, 2",
    )
    assert rows == [(JAN_8, "Android", 2), (JAN_8, "Web", 6), (JAN_9, "Web", 1)]


def test_active_users_are_merged_users_so_one_person_on_two_devices_counts_once(warehouse: Config) -> None:
    # original: distinct merged_user_id (the device's signed-in id, else the device) per day and platform:
    # 8 Jan Web alice (d1) and d3, Android alice (d2); over both platforms 2 people, not 3 devices
    rows = query(
        warehouse,
        "select event_date, platform, merged_user_id from analytics.rpt_retention__dau_wau"
        " where app_id = 'daily' order by 1, 2, 3",
    )
    assert rows == [(JAN_8, "Android", "alice"), (JAN_8, "Web", "alice"), (JAN_8, "Web", "d3"), (JAN_9, "Web", "d3")]
    [(people,)] = query(
        warehouse,
        "select count(distinct merged_user_id) from analytics.rpt_retention__dau_wau"
        " where app_id = 'daily' and event_date = '2024-01-08'",
    )
    assert people == 2


def test_crash_rate_rows_mark_the_users_who_hit_an_app_exception(warehouse: Config) -> None:
    # original: per day, platform, app version and merged user, crashed_user_id = the user on _app_exception
    # events; web 1.0 on 8 Jan: alice crashed, d3 did not: a crash rate of 1 / 2
    rows = query(
        warehouse,
        "select event_date, platform, app_version, merged_user_id, crashed_user_id"
        " from analytics.rpt_device__crash_rate where app_id = 'daily' order by 1, 2, 3, 4",
    )
    assert rows == [
        (JAN_8, "Android", "2.0", "alice", None),
        (JAN_8, "Web", "1.0", "alice", "alice"),
        (JAN_8, "Web", "1.0", "d3", None),
        (JAN_9, "Web", "1.0", "d3", None),
    ]

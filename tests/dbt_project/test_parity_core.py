"""The core models against the original's definitions, on one small hand-built warehouse.

One ``dbt build`` (models, data tests and the unit tests in the core models' yml) over ``ods`` rows as the
ETL writes them, then one test per behaviour. The original's rules used (reference section 3.3 step 4 and
its session and user SQL):

* session row (``extractSessionFromEvent``, ``sp_merge_session``): among the session's ``_session_start``,
  ``_page_view``, ``_user_engagement``, ``_screen_view`` and ``_app_end`` events, the earliest whose source
  is set and not ``Direct``, else the earliest of them; its traffic columns *and its user_id* are the
  session's;
* user row (``aggUserDataset``, ``sp_merge_user_v2``): properties from the latest ``_profile_set`` only;
  first-touch fields from the earliest ``_first_open``/``_first_visit``/``_session_start``/``_screen_view``;
  ``first_referrer`` is that event's ``page_view_page_referrer``.

Every expected value is worked out from the rows below, with the arithmetic beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from clickstream.config import Config
from clickstream.modeling import run_dbt
from tests.dbt_project.warehouse import load_tables, query, query_dicts
from tests.support.config import make_config

pytestmark = pytest.mark.slow

DAY = datetime(2024, 3, 10, tzinfo=UTC)  # D; D+1 is 2024-03-11
CORE = ("fct_events", "fct_sessions", "fct_page_screen_views", "fct_event_items", "dim_users", "dim_users_stitched")


def at(days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def msec(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def event(user: str, session: str | None, event_id: str, name: str, when: datetime, **columns: Any) -> dict[str, Any]:
    """An event_v2 row as the ETL writes it (web unless ``platform`` says otherwise)."""
    return {
        "event_timestamp": when.replace(tzinfo=None), "event_id": event_id, "event_time_msec": msec(when),
        "event_name": name, "ingest_time_msec": msec(when) + 1000, "platform": "Web", "project_id": "test",
        "app_id": "shop", "user_pseudo_id": user, "session_id": session, **columns,
    }  # fmt: skip


def properties_json(level: str, name: str, set_at: datetime) -> str:
    entry = '{{"value":"{}","type":"string","set_time_msec":{}}}'
    return f'{{"_user_name":{entry.format(name, msec(set_at))},"membership_level":{entry.format(level, msec(set_at))}}}'


# web1: signs in mid-session (s1), comes back the next day (s2) and adds two items to the cart.
WEB1_FIRST_TOUCH = at(hours=9, minutes=59)  # the SDK's _user_first_touch_timestamp
WEB1 = [
    event("web1", "s1", "w1", "_first_open", at(hours=10), traffic_source_source="google",
          traffic_source_medium="cpc", page_view_latest_referrer="", user_first_touch_time_msec=msec(WEB1_FIRST_TOUCH)),
    event("web1", "s1", "w2", "_session_start", at(hours=10, seconds=1), traffic_source_source="Direct",
          session_start_time_msec=msec(at(hours=10, seconds=1))),
    event("web1", "s1", "w3", "_page_view", at(hours=10, seconds=2), traffic_source_source="google",
          page_view_page_url_path="/home", page_view_page_title="Home",
          session_start_time_msec=msec(at(hours=10, seconds=1))),
    event("web1", "s1", "w4", "_profile_set", at(hours=10, minutes=5), user_id="alice",
          session_start_time_msec=msec(at(hours=10, seconds=1))),
    event("web1", "s1", "w5", "_page_view", at(hours=10, minutes=6), user_id="alice", traffic_source_source="google",
          page_view_page_url_path="/account", page_view_page_title="",
          session_start_time_msec=msec(at(hours=10, seconds=1))),
    event("web1", "s2", "w6", "_page_view", at(days=1, hours=9), user_id="alice", traffic_source_source="Direct",
          page_view_page_url_path="/cart", page_view_page_title=None,
          session_start_time_msec=msec(at(days=1, hours=9))),
    event("web1", "s2", "w7", "add_to_cart", at(days=1, hours=9, minutes=1), user_id="alice"),
]  # fmt: skip
# web2: a session from 23:50 on D to 00:10 on D+1; its first visit came with a latest referrer only.
WEB2_START = at(hours=23, minutes=50, seconds=1)
WEB2 = [
    event("web2", "m", "x1", "_first_open", at(hours=23, minutes=50), page_view_latest_referrer="https://news.example/"),
    event("web2", "m", "x2", "_session_start", WEB2_START, session_start_time_msec=msec(WEB2_START)),
    event("web2", "m", "x3", "_page_view", at(hours=23, minutes=55), page_view_page_url_path="/a",
          session_start_time_msec=msec(WEB2_START)),
    event("web2", "m", "x4", "_user_engagement", at(days=1, minutes=5), user_engagement_time_msec=5000,
          session_start_time_msec=msec(WEB2_START)),
    event("web2", "m", "x5", "_page_view", at(days=1, minutes=10), page_view_page_url_path="/b",
          session_start_time_msec=msec(WEB2_START)),
]  # fmt: skip
# app1: an Android session with a named screen, a screen without a name and one with an empty name.
APP1 = [
    event("app1", "ma", "a1", "_first_open", at(hours=8), platform="Android", app_install_source="google_play",
          traffic_source_source="Direct"),
    event("app1", "ma", "a2", "_session_start", at(hours=8, seconds=1), platform="Android"),
    event("app1", "ma", "a3", "_screen_view", at(hours=8, seconds=2), platform="Android",
          screen_view_screen_name="Home", screen_view_screen_id="id1"),
    event("app1", "ma", "a4", "_screen_view", at(hours=8, minutes=1), platform="Android",
          screen_view_screen_name=None, screen_view_screen_id="id2"),
    event("app1", "ma", "a5", "_screen_view", at(hours=8, minutes=2), platform="Android",
          screen_view_screen_name="", screen_view_screen_id="id3"),
]  # fmt: skip
# phone1: alice again, on an iPhone.
PHONE1 = [
    event("phone1", "p", "p1", "_session_start", at(days=1, hours=12), platform="iOS", user_id="alice"),
    event("phone1", "p", "p2", "_screen_view", at(days=1, hours=12, minutes=1), platform="iOS", user_id="alice",
          screen_view_screen_name="Home"),
]  # fmt: skip
ITEM_KEYS = ("event_timestamp", "event_id", "event_name", "platform", "user_pseudo_id", "user_id", "app_id")
CART = WEB1[-1]
ITEMS = [
    {**{key: CART[key] for key in ITEM_KEYS}, "item_id": "sku-1", "price": 9.5, "quantity": 2.0},
    {**{key: CART[key] for key in ITEM_KEYS}, "item_id": "sku-2", "price": 3.0, "quantity": 1.0},
    {**{key: CART[key] for key in ITEM_KEYS}, "item_id": "sku-1", "price": 9.5, "quantity": 2.0},  # listed twice
]
# web1's user_v2 rows of two batches: the first had the _profile_set, the second (D+1) none, so (as the
# original's per-batch row) no properties and no first touch.
USERS = [
    {"event_timestamp": at(hours=10, minutes=6).replace(tzinfo=None), "user_pseudo_id": "web1", "user_id": "alice",
     "app_id": "shop", "user_properties_json_str": properties_json("gold", "Alice", at(hours=10, minutes=5)),
     "user_properties": [("membership_level", {"value": "gold", "type": "string",
                                               "set_time_msec": msec(at(hours=10, minutes=5))})],
     "first_touch_time_msec": msec(WEB1_FIRST_TOUCH), "first_traffic_source": "google"},
    {"event_timestamp": at(days=1, hours=9, minutes=1).replace(tzinfo=None), "user_pseudo_id": "web1",
     "user_id": "alice", "app_id": "shop"},
]  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Config]:
    config = make_config(tmp_path_factory.mktemp("parity-core") / "home", apps=[{"id": "shop"}])
    load_tables(config, {"event_v2": WEB1 + WEB2 + APP1 + PHONE1, "item_v2": ITEMS, "user_v2": USERS})
    # The core models and everything they read, with their data and unit tests (a failure raises).
    run_dbt(config, ["build", "--select", *(f"+{model}" for model in CORE)])
    yield config


def one(config: Config, sql: str) -> dict[str, Any]:
    [row] = query_dicts(config, sql)
    return row


def session(config: Config, session_id: str) -> dict[str, Any]:
    return one(config, f"select * from analytics.fct_sessions where session_id = '{session_id}'")


def user(config: Config, pseudo_id: str) -> dict[str, Any]:
    return one(config, f"select * from analytics.dim_users where user_pseudo_id = '{pseudo_id}'")


# fct_sessions


def test_a_session_user_id_is_the_one_on_its_traffic_event(warehouse: Config) -> None:
    # s1: w2 (_session_start) is Direct, w3 (_page_view, google) is the first non-Direct of the five names
    # (w1 _first_open is not one of them); w3 carries no user id, alice signs in at w4 afterwards.
    assert (session(warehouse, "s1")["session_source"], session(warehouse, "s1")["user_id"]) == ("google", None)


def test_a_session_whose_traffic_event_is_signed_in_has_that_user_id(warehouse: Config) -> None:
    # s2: only w6 (_page_view, Direct) of the five names: the first of them, carrying alice.
    assert (session(warehouse, "s2")["session_source"], session(warehouse, "s2")["user_id"]) == ("Direct", "alice")


def test_a_session_across_midnight_is_one_row_on_the_day_it_started(warehouse: Config) -> None:
    row = session(warehouse, "m")
    assert row["session_date"] == date(2024, 3, 10)  # x1 at 23:50 on D
    assert (row["session_start_timestamp"], row["session_end_timestamp"]) == (
        at(hours=23, minutes=50), at(days=1, minutes=10)
    )  # fmt: skip
    # from the SDK's session start 23:50:01 to x5 at 00:10:00: 19 min 59 s
    assert row["session_duration_msec"] == 19 * 60_000 + 59_000
    assert (row["session_events"], row["session_views"], row["session_engagement_time_msec"]) == (5, 2, 5000)
    assert (row["session_entry_view"], row["session_exit_view"]) == ("/a", "/b")


def test_the_events_of_a_session_across_midnight_keep_their_own_days(warehouse: Config) -> None:
    rows = query(warehouse, "select event_id, event_date from analytics.fct_events where session_id = 'm' order by 1")
    assert [(event_id, day.isoformat()) for event_id, day in rows] == [
        ("x1", "2024-03-10"), ("x2", "2024-03-10"), ("x3", "2024-03-10"), ("x4", "2024-03-11"), ("x5", "2024-03-11"),
    ]  # fmt: skip
    [(sessions,)] = query(
        warehouse, "select count(distinct session_key) from analytics.fct_events where session_id = 'm'"
    )
    assert sessions == 1


def test_web_sessions_name_views_by_path_and_mobile_sessions_by_screen(warehouse: Config) -> None:
    web, mobile = session(warehouse, "s1"), session(warehouse, "ma")
    assert (web["platform"], web["session_page_views"], web["session_screen_views"]) == ("Web", 2, 0)
    assert (web["session_entry_view"], web["session_exit_view"]) == ("/home", "/account")
    assert (mobile["platform"], mobile["session_page_views"], mobile["session_screen_views"]) == ("Android", 0, 3)
    # a3 "Home" enters; a5, the last screen, has an empty name, kept as '' (not replaced by a4's null)
    assert (mobile["session_entry_view"], mobile["session_exit_view"]) == ("Home", "")


# fct_page_screen_views


def test_null_and_empty_page_titles_stay_as_sent(warehouse: Config) -> None:
    rows = query(
        warehouse,
        "select view_id, page_view_page_title, view_type from analytics.fct_page_screen_views"
        " where user_pseudo_id = 'web1' order by view_id",
    )
    assert rows == [("w3", "Home", "page"), ("w5", "", "page"), ("w6", None, "page")]


def test_null_and_empty_screen_names_are_views_of_their_own(warehouse: Config) -> None:
    rows = query(
        warehouse,
        "select view_id, view_name, screen_view_screen_id, view_index, is_entrance, is_exit"
        " from analytics.fct_page_screen_views where session_id = 'ma' order by view_index",
    )
    assert rows == [
        ("a3", "Home", "id1", 1, True, False), ("a4", None, "id2", 2, False, False), ("a5", "", "id3", 3, False, True),
    ]  # fmt: skip


def test_engagement_after_midnight_goes_to_the_view_before_it(warehouse: Config) -> None:
    rows = query(
        warehouse,
        "select view_id, event_date, engagement_time_msec from analytics.fct_page_screen_views"
        " where session_id = 'm' order by view_index",
    )
    # x4's 5000 ms (00:05 on D+1) follows x3 (23:55 on D) and precedes x5
    assert [(view, day.isoformat(), ms) for view, day, ms in rows] == [
        ("x3", "2024-03-10", 5000), ("x5", "2024-03-11", 0),
    ]  # fmt: skip


# fct_event_items


def test_an_events_items_are_one_row_each_and_a_repeated_item_once(warehouse: Config) -> None:
    rows = query(
        warehouse, "select event_id, item_id, price, quantity, event_date from analytics.fct_event_items order by 2"
    )
    assert [(e, i, p, q, d.isoformat()) for e, i, p, q, d in rows] == [
        ("w7", "sku-1", 9.5, 2.0, "2024-03-11"), ("w7", "sku-2", 3.0, 1.0, "2024-03-11"),
    ]  # fmt: skip


def test_items_belong_to_their_events_session(warehouse: Config) -> None:
    [(items_session,)] = query(warehouse, "select distinct session_key from analytics.fct_event_items")
    assert items_session == session(warehouse, "s2")["session_key"]


# dim_users


def test_user_properties_survive_a_batch_without_profile_set(warehouse: Config) -> None:
    # web1's D+1 batch row has no properties; the D row's (from the _profile_set w4) stay.
    row = user(warehouse, "web1")
    assert row["user_properties_json_str"] == properties_json("gold", "Alice", at(hours=10, minutes=5))


def test_first_touch_comes_from_the_first_touch_event_across_batches(warehouse: Config) -> None:
    row = user(warehouse, "web1")
    # w1 (_first_open, D 10:00) is the earliest of the four names; its SDK first-touch time is D 09:59.
    assert (row["first_touch_time_msec"], row["first_visit_date"]) == (msec(WEB1_FIRST_TOUCH), date(2024, 3, 10))
    assert (row["first_traffic_source"], row["first_traffic_medium"]) == ("google", "cpc")
    mobile = user(warehouse, "app1")
    assert (mobile["first_traffic_source"], mobile["first_app_install_source"]) == ("Direct", "google_play")


def test_first_referrer_is_null_without_a_page_referrer(warehouse: Config) -> None:
    # w1: no page referrer, latest referrer ''; x1: no page referrer, latest referrer https://news.example/.
    # The original takes page_view_page_referrer only: NULL for both.
    assert user(warehouse, "web1")["first_referrer"] is None
    assert user(warehouse, "web2")["first_referrer"] is None


def test_a_users_id_is_the_latest_signed_in_one(warehouse: Config) -> None:
    assert (user(warehouse, "web1")["user_id"], user(warehouse, "web2")["user_id"]) == ("alice", None)


def test_lifetime_totals_count_every_event_and_session(warehouse: Config) -> None:
    row = user(warehouse, "web1")
    # 7 events (w1..w7), sessions s1 and s2 on two days, views w3, w5, w6
    assert (row["lifetime_events"], row["lifetime_sessions"], row["lifetime_views"]) == (7, 2, 3)
    assert row["lifetime_active_days"] == 2


# dim_users_stitched


def test_devices_of_one_signed_in_user_roll_up(warehouse: Config) -> None:
    row = one(warehouse, "select * from analytics.dim_users_stitched where merged_user_id = 'alice'")
    # web1 (7 events, 2 sessions) and phone1 (2 events, 1 session)
    assert (row["devices"], row["lifetime_events"], row["lifetime_sessions"]) == (2, 9, 3)
    assert row["first_visit_date"] == date(2024, 3, 10)


def test_an_anonymous_device_stays_on_its_own(warehouse: Config) -> None:
    row = one(warehouse, "select * from analytics.dim_users_stitched where merged_user_id = 'app1'")
    assert (row["user_id"], row["devices"], row["lifetime_events"]) == (None, 1, 5)

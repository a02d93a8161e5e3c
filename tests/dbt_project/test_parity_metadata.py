"""meta_event, meta_event_parameter and meta_user_attribute against the original's metadata scan.

The expected values follow the original's sp_scan_metadata and scan-metadata lambda, worked out by hand
on the rows below: preset columns counted per event, the session table's traffic columns per session,
custom parameters per event; values cut to 100 characters, empty ones dropped; the top 20 values of a
day (50 for page titles and URLs and screen names and ids), per event name and platform for custom
parameters; user attributes over all users, without names containing ``timestamp``; UTC days; the
original's categories (device, event_outer, user_outer ...) in the ids.

Apps: ``shop`` (UTC) and ``shop_ny`` (America/New_York). Users of shop: u1 (session s1, 2024-05-30),
u2 (session s2, 2024-05-31), u3 (session s3, 2024-05-30, with 41 view_item events and a purchase).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from clickstream.config import Config
from clickstream.modeling import run_dbt
from tests.dbt_project.warehouse import load_tables, query
from tests.support.config import make_config

pytestmark = pytest.mark.slow

PROJECT = "clickstream_demo"  # the configured project id (make_config's default); the ETL writes it on every event
DAY = datetime(2024, 5, 30, tzinfo=UTC)
MAY_30, MAY_31, JUNE_1 = date(2024, 5, 30), date(2024, 5, 31), date(2024, 6, 1)
LONG_URL = "https://shop.example/" + "p" * 129  # 150 characters
LONG_COMMENT = "c" * 120
LONG_BIO = "b" * 60 + "é" * 60  # 120 characters, some of two bytes


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hours, minutes=minutes)


def msec(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def event(
    app: str, user: str, session: str, event_id: str, name: str, when: datetime, **columns: Any
) -> dict[str, Any]:  # fmt: skip
    return {
        "event_timestamp": when.replace(tzinfo=None), "event_id": event_id, "event_time_msec": msec(when),
        "event_name": name, "ingest_time_msec": msec(when) + 1000, "platform": "Web", "project_id": PROJECT,
        "app_id": app, "user_pseudo_id": user, "session_id": session, **columns,
    }  # fmt: skip


def custom(**parameters: str) -> list[tuple[str, dict[str, str]]]:
    return [(name, {"value": value, "type": "string"}) for name, value in parameters.items()]


def view_item(index: int) -> dict[str, Any]:
    """Events 0..39 name city00..city19 and sku00..sku19 twice each; event 40 names Zwolle and sku 'rare'.
    Events 0..20 carry 21 different page titles."""
    city, sku = (f"city{index // 2:02d}", f"sku{index // 2:02d}") if index < 40 else ("Zwolle", "rare")
    title = {"page_view_page_title": f"title{index:02d}"} if index <= 20 else {}
    return event(
        "shop", "u3", "s3", f"view-{index}", "view_item", at(hours=12, minutes=1 + index),
        geo_city=city, custom_parameters=custom(sku=sku), custom_parameters_json_str=json.dumps({"sku": sku}), **title,
    )  # fmt: skip


GOOGLE = {"traffic_source_source": "google", "traffic_source_medium": "cpc"}
PURCHASE_PARAMETERS = {"sku": "rare", "click_timestamp": "1717070400000", "note": "", "comment": LONG_COMMENT}
EVENTS = [
    # s1: three events, all with the google traffic source
    event("shop", "u1", "s1", "s1-0", "_session_start", at(hours=10), device_manufacturer="Apple", **GOOGLE),
    event("shop", "u1", "s1", "s1-1", "_page_view", at(hours=10, minutes=1), device_manufacturer="",
          page_view_page_url=LONG_URL, **GOOGLE),
    event("shop", "u1", "s1", "s1-2", "_page_view", at(hours=10, minutes=2), outbound_link=True, **GOOGLE),
    # s2, the next day
    event("shop", "u2", "s2", "s2-0", "_session_start", at(days=1, hours=9), **GOOGLE),
    event("shop", "u2", "s2", "s2-1", "_page_view", at(days=1, hours=9, minutes=1), outbound_link=False, **GOOGLE),
    # s3: the traffic source on its first event only, then 41 view_item events and a purchase
    event("shop", "u3", "s3", "s3-0", "_session_start", at(hours=12), **GOOGLE),
    *[view_item(index) for index in range(41)],
    event("shop", "u3", "s3", "purchase", "purchase", at(hours=13), custom_parameters=custom(**PURCHASE_PARAMETERS),
          custom_parameters_json_str=json.dumps(PURCHASE_PARAMETERS)),
    event("shop", "u3", "s3", "underscore", "_", at(hours=13, minutes=30)),
    # shop_ny: 2024-06-01 02:00 UTC is 2024-05-31 22:00 in New York
    event("shop_ny", "ny1", "n1", "n1-0", "_session_start", at(days=2, hours=2), traffic_source_source="bing"),
]  # fmt: skip


def user(app: str, pseudo_id: str, when: datetime, **properties: str) -> dict[str, Any]:
    """A user_v2 row as the ETL writes it from the user's _profile_set."""
    return {
        "event_timestamp": when.replace(tzinfo=None), "user_pseudo_id": pseudo_id, "app_id": app,
        "user_properties": [(name, {"value": value, "type": "string", "set_time_msec": msec(when)})
                            for name, value in properties.items()],
        "user_properties_json_str": json.dumps({name: {"value": value} for name, value in properties.items()}),
    }  # fmt: skip


FIRST_TOUCH = str(msec(at()))
USERS = [
    user("shop", "u1", at(hours=10), plan="pro", _user_first_touch_timestamp=FIRST_TOUCH, nickname=""),
    user("shop", "u2", at(days=1, hours=9), plan="pro", _user_first_touch_timestamp=FIRST_TOUCH),
    user("shop", "u3", at(hours=12), plan="basic", bio=LONG_BIO),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Config]:
    home = tmp_path_factory.mktemp("parity-metadata") / "home"
    config = make_config(home, apps=[{"id": "shop"}, {"id": "shop_ny", "timezone": "America/New_York"}])
    assert config.project_id == PROJECT
    load_tables(config, {"event_v2": EVENTS, "user_v2": USERS})
    run_dbt(config, ["run", "--select", "+tag:metadata"])
    yield config


def parameter(config: Config, name: str, app: str = "shop") -> list[tuple[Any, ...]]:
    """(day, value, count, event_name_set, platform) rows of a parameter, in that order."""
    return query(
        config,
        "select event_date, property_value, count, event_name_set, platform from analytics.meta_event_parameter"
        f" where app_id = '{app}' and property_name = '{name}' order by event_date, property_value",
    )


def values(config: Config, name: str, day: date = MAY_30) -> dict[str, int]:
    return {value: count for when, value, count, _, _ in parameter(config, name) if when == day}


def test_session_columns_are_counted_once_per_session_on_the_day_of_its_traffic_event(warehouse: Config) -> None:
    # May 30: sessions s1 and s3 came from google (s1 with three events, s3 with one tagged event);
    # May 31: session s2
    assert values(warehouse, "session_source") == {"google": 2}
    assert values(warehouse, "session_source", MAY_31) == {"google": 1}
    # the event column is counted per event: s1-0, s1-1, s1-2 and s3-0
    assert values(warehouse, "traffic_source_source") == {"google": 4}


def test_empty_strings_are_not_values(warehouse: Config) -> None:
    # s1-0 Apple, s1-1 '' (dropped); the purchase's custom parameter note is ''
    assert values(warehouse, "device_manufacturer") == {"Apple": 1}
    assert parameter(warehouse, "note") == []
    nickname = "select property_value from analytics.meta_user_attribute where property_name = 'nickname'"
    assert query(warehouse, nickname) == []


def test_user_attributes_named_like_timestamp_are_left_out(warehouse: Config) -> None:
    names = {row[0] for row in query(warehouse, "select distinct property_name from analytics.meta_user_attribute")}
    assert "_user_first_touch_timestamp" not in names
    assert "plan" in names


def test_event_parameters_named_like_timestamp_are_kept(warehouse: Config) -> None:
    # the original drops `%timestamp%` names from user attributes only
    assert values(warehouse, "click_timestamp") == {"1717070400000": 1}


def test_ids_and_categories_are_the_originals(warehouse: Config) -> None:
    rows = query(
        warehouse,
        "select distinct property_name, id, category, value_type from analytics.meta_event_parameter"
        " where app_id = 'shop' and property_name in"
        " ('platform', 'device_manufacturer', 'geo_city', 'page_view_page_url', 'outbound_link', 'session_source',"
        " 'sku')"
        " union all"
        " select distinct property_name, id, category, value_type from analytics.meta_user_attribute"
        " where app_id = 'shop' and property_name in ('plan', 'first_traffic_source')",
    )
    assert {name: (identifier, category, kind) for name, identifier, category, kind in rows} == {
        "platform": (f"{PROJECT}#shop#event_outer#platform#string", "event_outer", "string"),
        "device_manufacturer": (f"{PROJECT}#shop#device#device_manufacturer#string", "device", "string"),
        "geo_city": (f"{PROJECT}#shop#geo#geo_city#string", "geo", "string"),
        "page_view_page_url": (f"{PROJECT}#shop#page_view#page_view_page_url#string", "page_view", "string"),
        "outbound_link": (f"{PROJECT}#shop#outbound#outbound_link#boolean", "outbound", "boolean"),
        "session_source": (f"{PROJECT}#shop#event_outer#session_source#string", "event_outer", "string"),
        "sku": (f"{PROJECT}#shop#event#sku#string", "event", "string"),
        "plan": (f"{PROJECT}#shop#user#plan#string", "user", "string"),
        "first_traffic_source": (f"{PROJECT}#shop#user_outer#first_traffic_source#string", "user_outer", "string"),
    }


def test_the_month_prefix_and_day_number_are_the_originals(warehouse: Config) -> None:
    [row] = query(
        warehouse,
        "select month, prefix, day_number from analytics.meta_event_parameter"
        " where app_id = 'shop' and property_name = 'session_source' and event_date = '2024-05-31'",
    )
    assert row == ("#202405", f"EVENT_PARAMETER#{PROJECT}#shop", 31)


def test_a_column_keeps_the_top_20_values_of_the_day(warehouse: Config) -> None:
    # city00..city19 twice each, Zwolle once: Zwolle is the 21st value
    assert values(warehouse, "geo_city") == {f"city{index:02d}": 2 for index in range(20)}


def test_page_titles_keep_up_to_50_values(warehouse: Config) -> None:
    assert values(warehouse, "page_view_page_title") == {f"title{index:02d}": 1 for index in range(21)}


def test_preset_parameters_carry_no_event_or_platform_sets(warehouse: Config) -> None:
    [row] = [row for row in parameter(warehouse, "geo_city") if row[1] == "city00"]
    assert row == (MAY_30, "city00", 2, "", "")


def test_a_custom_parameter_keeps_its_top_values_per_event_name_and_platform(warehouse: Config) -> None:
    # view_item/Web: sku00..sku19 twice each make the cut and 'rare' (once) does not; purchase/Web: 'rare'
    # once makes it. So 'rare' counts 1, from the purchase only, and the day has 21 values.
    rows = parameter(warehouse, "sku")
    assert len(rows) == 21
    assert (MAY_30, "rare", 1, "purchase", "Web") in rows
    assert (MAY_30, "sku00", 2, "view_item", "Web") in rows


def test_values_are_cut_to_100_characters(warehouse: Config) -> None:
    assert values(warehouse, "page_view_page_url") == {LONG_URL[:100]: 1}
    assert values(warehouse, "comment") == {"c" * 100: 1}
    [(bio,)] = query(warehouse, "select property_value from analytics.meta_user_attribute where property_name = 'bio'")
    assert bio == "b" * 60 + "é" * 40


def test_booleans_are_the_text_true_and_false(warehouse: Config) -> None:
    # s1-2 (May 30) True, s2-1 (May 31) False
    rows = parameter(warehouse, "outbound_link")
    assert [(day, value, count) for day, value, count, _, _ in rows] == [(MAY_30, "true", 1), (MAY_31, "false", 1)]


def test_user_attributes_keep_the_top_values_over_all_users_on_the_latest_day(warehouse: Config) -> None:
    # u1 (last seen May 30) and u2 (May 31) are pro, u3 basic: one row per value, stamped with shop's
    # latest day with a user seen (May 31)
    rows = query(
        warehouse,
        "select property_value, count, event_date, month, day_number, prefix from analytics.meta_user_attribute"
        " where app_id = 'shop' and property_name = 'plan' order by property_value",
    )
    prefix = f"USER_ATTRIBUTE#{PROJECT}#shop"
    assert rows == [("basic", 1, MAY_31, "#202405", 31, prefix), ("pro", 2, MAY_31, "#202405", 31, prefix)]


def test_user_outer_columns_are_counted_over_users(warehouse: Config) -> None:
    # u1, u2 and u3 were all first touched by a google session start
    rows = query(
        warehouse,
        "select property_value, count from analytics.meta_user_attribute"
        " where app_id = 'shop' and property_name = 'first_traffic_source'",
    )
    assert rows == [("google", 3)]


def test_days_are_utc_days_whatever_the_app_time_zone(warehouse: Config) -> None:
    # 2024-06-01 02:00 UTC: a local (New York) May 31 event, scanned on the UTC day June 1
    [(local_day,)] = query(warehouse, "select event_date from analytics.fct_events where event_id = 'n1-0'")
    assert local_day == MAY_31
    rows = query(
        warehouse,
        "select event_name, event_date, month, day_number, count from analytics.meta_event where app_id = 'shop_ny'",
    )
    assert rows == [("_session_start", JUNE_1, "#202406", 1, 1)]
    assert parameter(warehouse, "session_source", "shop_ny") == [(JUNE_1, "bing", 1, "", "")]


def test_events_named_underscore_are_not_counted(warehouse: Config) -> None:
    assert query(warehouse, "select count(*) from analytics.fct_events where event_name = '_'") == [(1,)]
    assert query(warehouse, "select count(*) from analytics.meta_event where event_name = '_'") == [(0,)]


def test_events_are_counted_per_utc_day_with_their_platforms_and_sdks(warehouse: Config) -> None:
    # May 30 in shop: s1-0 and s3-0 are session starts
    rows = query(
        warehouse,
        "select id, count, platform, prefix from analytics.meta_event"
        " where app_id = 'shop' and event_name = '_session_start' and event_date = '2024-05-30'",
    )
    assert rows == [(f"{PROJECT}#shop#_session_start", 2, "Web", f"EVENT#{PROJECT}#shop")]

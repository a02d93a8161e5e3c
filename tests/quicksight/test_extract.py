"""The rows a visual embeds: its grain, the row cap that keeps the newest whole days, and detail tables' top N."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import duckdb
import pytest

from clickstream.quicksight.offline.extract import DATE_KEY, PLATFORM_KEY, fetch_grain, grain_query
from clickstream.quicksight.spec.load import bundled_dashboards
from clickstream.quicksight.spec.model import Visual

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(6)]


def spec_visual(visual_id: str) -> Visual:
    [dashboard] = bundled_dashboards()
    return next(v for s in dashboard.sheets for v in s.visuals if v.id == visual_id)


@pytest.fixture
def device_table() -> Any:
    """rpt_device__user_device with 4 users a day on two platforms and two app versions."""
    connection = duckdb.connect()
    connection.execute("create schema analytics")
    connection.execute(
        "create table analytics.rpt_device__user_device (app_id varchar, platform varchar, user_id varchar, "
        "app_version varchar, event_date date)"
    )
    for day in DAYS:
        for user in range(4):
            connection.execute(
                "insert into analytics.rpt_device__user_device values ('shop', ?, ?, ?, ?)",
                ["Web" if user % 2 else "iOS", f"user-{user}-{day}", f"1.{user % 2}", day],
            )
    yield connection
    connection.close()


def fetch(connection: Any, visual_id: str, max_rows: int) -> dict[str, Any]:
    [dashboard] = bundled_dashboards()
    visual = spec_visual(visual_id)
    query = grain_query(visual, dashboard.datasets[visual.dataset], "shop", DAYS[0], max_rows)
    return fetch_grain(connection, query, visual_id)


def test_a_visual_under_the_cap_embeds_every_row_and_is_not_marked_truncated(device_table: Any) -> None:
    table = fetch(device_table, "device_app_version", 1000)

    assert len(table["rows"]) == 4 * len(DAYS)
    assert "truncated" not in table


def test_over_the_cap_the_newest_whole_days_are_kept_marked_and_logged(
    device_table: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        table = fetch(device_table, "device_app_version", 10)  # 2.5 days of 4 rows: the half day is dropped

    dates = [row[table["columns"].index(DATE_KEY)] for row in table["rows"]]
    assert sorted(set(dates)) == [DAYS[-2].isoformat(), DAYS[-1].isoformat()]
    assert len(dates) == 8, "whole days only: no day is embedded with part of its users"
    assert table["truncated"] == {"from": DAYS[-2].isoformat(), "maxRows": 10}
    assert "device_app_version" in caplog.text and DAYS[-2].isoformat() in caplog.text


def test_a_detail_table_embeds_only_its_top_n_per_day_and_platform(device_table: Any) -> None:
    [dashboard] = bundled_dashboards()
    visual = Visual.model_validate(
        {
            "id": "newest_users",
            "title": "Newest users",
            "type": "table",
            "dataset": "Device",
            "dimensions": [{"column": "user_id", "label": "User"}],
            "sort": {"by": "user_id", "direction": "DESC"},
            "top_n": 1,
        }
    )
    query = grain_query(visual, dashboard.datasets["Device"], "shop", DAYS[0], 1000)
    table = fetch_grain(device_table, query)

    c = {name: i for i, name in enumerate(table["columns"])}
    cells = {(row[c[DATE_KEY]], row[c[PLATFORM_KEY]]): row[c["user_id"]] for row in table["rows"]}
    assert len(table["rows"]) == len(cells) == 2 * len(DAYS)
    assert cells[(DAYS[0].isoformat(), "Web")] == f"user-3-{DAYS[0]}", "the first of each cell by the visual's sort"

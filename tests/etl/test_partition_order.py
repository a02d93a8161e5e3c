"""A chunk's rows are grouped by the writer's partitions (app, UTC day), each keeping the input order."""

from __future__ import annotations

from etl.batch import group_by_partition

DAY = 86_400_000


def test_rows_of_one_app_are_grouped_by_day_in_input_order() -> None:
    rows = [["a", 2 * DAY, "shop"], ["b", DAY + 5, "shop"], ["c", 2 * DAY + 1, "shop"], ["d", DAY, "shop"]]
    group_by_partition(rows, 1, 2)
    assert [row[0] for row in rows] == ["b", "d", "a", "c"]


def test_rows_of_several_apps_are_grouped_by_app_then_day_in_input_order() -> None:
    rows = [["a", DAY, "web"], ["b", DAY, "shop"], ["c", 0, "web"], ["d", DAY + 1, "shop"], ["e", DAY, "web"]]
    group_by_partition(rows, 1, 2)
    assert [row[0] for row in rows] == ["b", "d", "c", "a", "e"]

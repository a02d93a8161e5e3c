"""A user signed in on two devices is one user in every analysis, as the original's ``merged_user_id``.

The original's every analysis reads ``event.merged_user_id as user_pseudo_id`` (its sql-builder.ts
``base_data``): the device's signed-in user id (user_v2.user_id) when it has one, else the device id.
So user counts, the funnel's join, retention's returns, lagSeconds paths and attribution's touches follow
the person across devices. The Studio reads the same from the users table (dim_users.user_id).

App ``shop`` (UTC), January 2024; bodies as the original's console sends them:

| device | signed in as | platform | session | time | event |
|---|---|---|---|---|---|
| P1 | U | Android | s1 | 01-01 10:00 | view_item p1 |
| P2 | U | Web | s2 | 01-01 10:30 | add_to_cart p1 |
| P2 | U | Web | s2 | 01-01 10:40 | purchase 30 |
| P3 | (anonymous) | Web | s3 | 01-01 11:00 | view_item p2 |
| P3 | (anonymous) | Web | s3 | 01-01 11:05 | add_to_cart p2 |
| P4 | (anonymous) | Web | s5 | 01-02 12:00 | view_item p1 |
| P2 | U | Web | s4 | 01-03 09:00 | view_item p3 |
| P2 | U | Web | s4 | 01-03 09:05 | purchase 20 |

Every device has a users row, as the ETL gives every device that sent events (the original's view
inner-joins user_v2; a device without a row is its own user here: tests/studio/test_semantics.py, whose
users table is empty). Merged users: U (P1 and P2), P3, P4. Counted by device instead, P1 and P2 would
be two users and no step, return or touch would cross from one to the other; each test gives that number
too, to show it differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.studio.dataset import build_warehouse
from tests.studio.test_original_requests import (
    BUY,
    CART,
    VIEW,
    attribution_body,
    event,
    event_body,
    first_cohort,
    funnel_body,
    links,
    path_body,
    pick,
    post,
    retention_body,
)
from tests.support.config import make_config
from tests.support.studio import signed_in

U = {"user_id": "U"}
EVENTS: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    ("P1", "Android", "s1", "2024-01-01 10:00:00", VIEW, {"product": "p1", **U}),
    ("P2", "Web", "s2", "2024-01-01 10:30:00", CART, {"product": "p1", **U}),
    ("P2", "Web", "s2", "2024-01-01 10:40:00", BUY, {"value": 30.0, **U}),
    ("P3", "Web", "s3", "2024-01-01 11:00:00", VIEW, {"product": "p2"}),
    ("P3", "Web", "s3", "2024-01-01 11:05:00", CART, {"product": "p2"}),
    ("P4", "Web", "s5", "2024-01-02 12:00:00", VIEW, {"product": "p1"}),
    ("P2", "Web", "s4", "2024-01-03 09:00:00", VIEW, {"product": "p3", **U}),
    ("P2", "Web", "s4", "2024-01-03 09:05:00", BUY, {"value": 20.0, **U}),
]
USERS: list[tuple[str, str | None, str, dict[str, str]]] = [
    ("P1", "U", "google", {}),
    ("P2", "U", "google", {}),
    ("P3", None, "direct", {}),
    ("P4", None, "google", {}),
]


@pytest.fixture(scope="module")
def two_devices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    config = make_config(tmp_path_factory.mktemp("merged") / "home", apps=[{"id": "shop"}])
    build_warehouse(config, EVENTS, USERS)
    with signed_in(config) as api:
        yield api


def test_users_are_counted_once_across_their_devices(two_devices: TestClient) -> None:
    # product views in January: U (P1 on 1 Jan, P2 on 3 Jan), P3, P4 = 3 users (by device: 4)
    rows = post(two_devices, "event", event_body(event(VIEW, computeMethod="USER_ID_CNT"), groupColumn="MONTH"))
    assert pick(rows, "bucket", "value") == [("2024-01-01", 3)]


def test_a_funnel_step_on_the_other_device_converts(two_devices: TestClient) -> None:
    # within 3600 s of the view: U views on P1 at 10:00, carts on P2 at 10:30 and buys at 10:40 (all
    # after the step before, within 40 minutes of the view); P3 views and carts; P4 only views; U's view
    # of 3 Jan has no cart after it (U is already counted). Users: 3, 2, 1 (by device: 4, 1, 0)
    body = funnel_body(VIEW, CART, BUY, conversionIntervalType="CUSTOMIZE", conversionIntervalInSeconds=3600)
    rows = post(two_devices, "funnel", body)
    assert pick(rows, "step", "count", "conversion_rate") == [(1, 3, 1.0), (2, 2, 0.6667), (3, 1, 0.3333)]


def test_a_return_on_the_other_device_is_retained(two_devices: TestClient) -> None:
    # cohort of 1 Jan (a view that day): U and P3 (P4's first view is on 2 Jan: its own cohort). Purchases:
    # U on 1 Jan (P2, day 0) and on 3 Jan (P2, day 2): 1 of 2 on days 0 and 2, none on day 1
    # (by device the cohort is P1 and P3, and neither buys: 0 on every day)
    body = retention_body(event(VIEW), event(BUY), timeEnd="2024-01-03")
    assert first_cohort(post(two_devices, "retention", body)) == [(0, 1, 2, 0.5), (1, 0, 2, 0.0), (2, 1, 2, 0.5)]


def test_a_pause_path_runs_over_all_of_a_users_devices(two_devices: TestClient) -> None:
    # paths per merged user until a pause of 3600 s or more, as the original's partition by the merged id:
    # U: view (P1) cart purchase (P2) | view purchase (3 Jan); P3: view cart; P4: view.
    # Users per link: view->cart U P3 = 2, view->purchase U = 1, cart->purchase U = 1
    # (by device: P1 view alone, P2 cart purchase has no view to start from: view->cart 1, view->purchase 1)
    body = path_body([VIEW], sessionType="CUSTOMIZE", lagSeconds=3600)
    assert links(post(two_devices, "path", body)) == [(1, VIEW, CART, 2), (1, VIEW, BUY, 1), (2, CART, BUY, 1)]


def test_a_touch_on_the_other_device_shares_the_goal(two_devices: TestClient) -> None:
    # goals: U's purchases at 10:40 (1 Jan) and 09:05 (3 Jan). Touches within 3600 s before, since the
    # user's previous goal: the first has U's view (P1, 10:00) and cart (P2, 10:30), 1/2 each (linear);
    # the second U's view of 09:00: 1. View 1.5, cart 0.5 of 2 (by device: view 1, cart 1).
    # Triggers in the range: views P1 P3 P4 P2 = 4, carts P2 P3 = 2; with a conversion: views 2, cart 1
    body = attribution_body("LINEAR", "CUSTOMIZE", timeWindowInSeconds=3600,
                            eventAndConditions=[event(VIEW), event(CART)])  # fmt: skip
    rows = post(two_devices, "attribution", body)
    assert pick(rows, "event_name", "total_triggers", "triggers_with_conversion", "contribution",
                "contribution_rate") == [(VIEW, 4, 2, 1.5, 0.75), (CART, 2, 1, 0.5, 0.25)]  # fmt: skip

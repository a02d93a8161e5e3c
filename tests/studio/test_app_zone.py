"""A request without a ``timezone`` is read in its app's zone (``apps[].timezone``), as the original's console
sends it; one that names a zone keeps it. Dataset: tests/studio/dataset.py (u2 views p9 on 01-04 18:00 UTC,
which is 01-05 03:00 in Tokyo)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.studio.dataset import build_warehouse
from tests.support.config import make_config
from tests.support.studio import explore, signed_in

VIEWS_BY_DAY = {"groupColumn": "DAY", "eventAndConditions": [{"eventName": "view_item"}]}


@pytest.fixture(scope="module")
def tokyo_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("studio-tokyo") / "home"
    config = make_config(home, apps=[{"id": "shop", "timezone": "Asia/Tokyo"}])
    build_warehouse(config)
    with signed_in(config) as api:
        yield api


def days(answer: dict[str, object]) -> list[str]:
    rows = answer["rows"]
    assert isinstance(rows, list)
    return [row["bucket"] for row in rows]


def test_a_request_without_a_zone_buckets_days_in_the_apps_zone(tokyo_client: TestClient) -> None:
    assert days(explore(tokyo_client, "event", VIEWS_BY_DAY)) == [
        "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05", "2024-01-08",
    ]  # fmt: skip


def test_a_request_naming_a_zone_keeps_it(tokyo_client: TestClient) -> None:
    answer = explore(tokyo_client, "event", {**VIEWS_BY_DAY, "timezone": "UTC"})
    assert days(answer) == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-08"]

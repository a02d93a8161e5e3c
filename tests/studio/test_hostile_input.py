"""Hostile and unexpected request values (issue 20): a 400 naming the field, never a 500 or an engine's words.

Validation errors keep FastAPI's body (``{"detail": [{"type", "loc", "msg"}]}``, which the page lists by
field) with status 400, as the original's API answers a bad parameter; an engine error is a 500 that
carries only the request id, the reason going to the server's log under that id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config
from clickstream.serving import snapshot_path
from clickstream.studio.model import TIMEZONES
from tests.studio.dataset import build_warehouse
from tests.support.config import make_config
from tests.support.studio import FIXED_JANUARY, REQUEST_ID, signed_in

BUY, VIEW = "purchase", "view_item"
JSON = {**REQUEST_ID, "Content-Type": "application/json"}
POSITION = {"modelType": "POSITION", "targetEventAndCondition": {"eventName": BUY},
            "eventAndConditions": [{"eventName": VIEW}]}  # fmt: skip


def post_text(client: TestClient, kind: str, body: str) -> Any:
    """POST a body as written: JSON's own encoder cannot write NaN or a lone surrogate escape for us."""
    return client.post(f"/api/reporting/{kind}", content=body.encode(), headers=JSON)


def refused_fields(response: Any) -> list[str]:
    """The fields a 400 names, as dotted paths below the body (``eventAndConditions.0.eventName``)."""
    assert response.status_code == 400, response.text
    return [".".join(str(part) for part in error["loc"][1:]) for error in response.json()["detail"]]


def with_value(value: str) -> str:
    """An event request whose one condition compares event_value with ``value`` (JSON text)."""
    condition = f'{{"property": "event_value", "operator": ">", "value": [{value}], "dataType": "double"}}'
    steps = f'[{{"eventName": "{BUY}", "sqlCondition": {{"conditions": [{condition}]}}}}]'
    return json.dumps(FIXED_JANUARY)[:-1] + f', "eventAndConditions": {steps}}}'


VALUE_FIELD = "eventAndConditions.0.sqlCondition.conditions.0.value.0"


def test_an_integer_larger_than_a_bigint_in_a_filter_value_is_a_400_naming_it(client: TestClient) -> None:
    assert refused_fields(post_text(client, "event", with_value("9" * 400))) == [VALUE_FIELD]


def test_the_largest_bigint_is_a_valid_filter_value(client: TestClient) -> None:
    assert post_text(client, "event", with_value(str(2**63 - 1))).status_code == 200


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_filter_value_that_is_not_a_finite_number_is_a_400_naming_it(client: TestClient, number: str) -> None:
    assert refused_fields(post_text(client, "event", with_value(number))) == [VALUE_FIELD]


@pytest.mark.parametrize("weight", ["NaN", "Infinity", "-Infinity"])
def test_model_weights_that_are_not_finite_are_a_400_naming_them(client: TestClient, weight: str) -> None:
    body = json.dumps({**FIXED_JANUARY, **POSITION})[:-1] + f', "modelWeights": [{weight}, 0.2, 0.4]}}'
    assert refused_fields(post_text(client, "attribution", body)) == ["modelWeights.0"]


@pytest.mark.parametrize(("field", "day"), [("timeStart", "0001-01-01"), ("timeEnd", "9999-12-31"),
                                            ("timeStart", "1969-12-31"), ("timeEnd", "2201-01-01"),
                                            ("timeEnd", "9999-12-31T23:59:59+00:00")])  # fmt: skip
def test_a_fixed_date_outside_1970_to_2200_is_a_400_naming_it(client: TestClient, field: str, day: str) -> None:
    body = {**FIXED_JANUARY, field: day, "eventAndConditions": [{"eventName": VIEW}]}
    response = client.post("/api/reporting/event", json=body, headers=REQUEST_ID)
    assert refused_fields(response) == [field]


def test_the_first_and_last_allowed_days_are_answered(client: TestClient) -> None:
    body = {**FIXED_JANUARY, "timeStart": "1970-01-01", "timeEnd": "2200-12-31", "groupColumn": "MONTH",
            "eventAndConditions": [{"eventName": VIEW}]}  # fmt: skip
    assert client.post("/api/reporting/event", json=body, headers=REQUEST_ID).status_code == 200


NOT_PORTABLE_ZONES = ["localtime", "Factory", "posixrules", "Etc/GMT+5", "US/Pacific-New", "posix/Europe/Paris",
                      "right/UTC", "SystemV/EST5", "utc", "Mars/Olympus"]  # fmt: skip


@pytest.mark.parametrize("zone", NOT_PORTABLE_ZONES)
def test_a_time_zone_not_known_to_all_three_engines_is_a_400_naming_it(client: TestClient, zone: str) -> None:
    body = {**FIXED_JANUARY, "timezone": zone, "eventAndConditions": [{"eventName": VIEW}]}
    response = client.post("/api/reporting/event", json=body, headers=REQUEST_ID)
    assert refused_fields(response) == ["timezone"]
    assert "Candidate time zones" not in response.text  # DuckDB's words never reach the client


def test_every_accepted_time_zone_is_one_duckdb_knows() -> None:
    refused = []
    with duckdb.connect() as connection:
        for zone in sorted(TIMEZONES):
            try:
                connection.execute(f"set TimeZone = '{zone}'")
            except duckdb.Error:
                refused.append(zone)
    assert refused == []
    assert {"UTC", "Asia/Tokyo", "America/New_York", "Europe/Berlin"} <= TIMEZONES


@pytest.mark.parametrize("text", [r"\u0000", r"\ud800"], ids=["nul", "lone-surrogate"])
def test_text_no_engine_can_store_is_a_400_naming_the_field(client: TestClient, text: str) -> None:
    body = json.dumps({**FIXED_JANUARY, "pathAnalysis": {"nodeType": "page_view_page_title"}})
    body = body[:-2] + f', "nodes": ["Home{text}"]}}}}'
    assert refused_fields(post_text(client, "path", body)) == ["pathAnalysis.nodes.0"]


def test_a_400_does_not_repeat_the_hostile_value(client: TestClient) -> None:
    response = post_text(client, "event", with_value("7" * 400))
    assert "7777777777" not in response.text


# --- engine errors -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broken_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A Studio whose snapshot's events view lacks the columns the analyses read: every query fails in DuckDB."""
    config: Config = make_config(tmp_path_factory.mktemp("broken") / "home", apps=[{"id": "shop"}])
    build_warehouse(config)
    with duckdb.connect(str(snapshot_path(config))) as connection:
        connection.execute("create or replace view main.events as select 1 as not_what_the_studio_reads")
    with signed_in(config) as api:
        yield api


def test_an_engine_error_is_a_500_carrying_only_the_request_id(
    broken_snapshot: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = {**FIXED_JANUARY, "eventAndConditions": [{"eventName": VIEW}]}
    with caplog.at_level(logging.ERROR, logger="studio.app"):
        response = broken_snapshot.post("/api/reporting/event", json=body, headers=REQUEST_ID)
    assert response.status_code == 500
    answer = response.json()
    assert set(answer) == {"error", "requestId"} and answer["requestId"] == response.headers["X-Request-Id"]
    assert "Binder" not in response.text and "event_name" not in response.text
    logged = [record.getMessage() for record in caplog.records]
    assert any(answer["requestId"] in message and "Binder" in message for message in logged), logged


def test_every_answer_has_its_own_request_id_header(client: TestClient) -> None:
    first, second = client.get("/api/app"), client.get("/auth/config")
    assert first.headers["X-Request-Id"] and second.headers["X-Request-Id"]
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]

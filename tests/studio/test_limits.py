"""Request limits: bodies over the original's 384 KB are refused with a reason, declared or streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi.testclient import TestClient

from tests.support.studio import FIXED_JANUARY, REQUEST_ID

TOO_MANY_VALUES = {**FIXED_JANUARY, "eventAndConditions": [{"eventName": "purchase", "sqlCondition": {"conditions": [
    {"property": "currency", "operator": "in", "value": ["x" * 400] * 1000}]}}]}  # fmt: skip


def test_a_body_over_384_kb_is_refused_with_413_and_a_reason(client: TestClient) -> None:
    assert len(json.dumps(TOO_MANY_VALUES)) > 384 * 1024
    response = client.post("/api/reporting/event", json=TOO_MANY_VALUES, headers=REQUEST_ID)
    assert response.status_code == 413
    assert "larger than 384 KB" in response.json()["error"]


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        body = json.dumps(TOO_MANY_VALUES).encode()
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    headers = {**REQUEST_ID, "Content-Type": "application/json"}
    response = client.post("/api/reporting/event", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert "larger than 384 KB" in response.json()["error"]


def test_a_body_under_the_limit_is_served(client: TestClient) -> None:
    small = {**FIXED_JANUARY, "eventAndConditions": [{"eventName": "purchase"}]}
    assert client.post("/api/reporting/event", json=small, headers=REQUEST_ID).status_code == 200

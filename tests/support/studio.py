"""The Studio's API in tests: a signed-in client in local mode, and what its answers must look like."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clickstream.config import Config, StudioConfig
from clickstream.studio.app import create_app
from tests.ingestion.test_auth import AUDIENCE, ISSUER
from tests.support.loopback import free_port

PASSWORD = "local-password-for-tests"
REQUEST_ID = {"X-Click-Stream-Request-Id": "test-request"}
FIXED_JANUARY = {"appId": "shop", "timeScopeType": "FIXED", "timeStart": "2024-01-01", "timeEnd": "2024-01-31"}
LOCAL_URL = "http://127.0.0.1:8090"  # local mode answers only for loopback names (the Host check, decision 41)


def signed_in(config: Config) -> TestClient:
    client = TestClient(create_app(config, password=PASSWORD), base_url=LOCAL_URL)
    assert client.post("/auth/login", json={"password": PASSWORD}).status_code == 200
    return client


def assert_engine_error(answer: Any, caplog: pytest.LogCaptureFixture, reason: str) -> None:
    """A 500 carrying only the request id (as its X-Request-Id), with the engine's ``reason`` in the log under it."""
    assert answer.status_code == 500, answer.text
    assert set(answer.json()) == {"error", "requestId"} and answer.json()["requestId"] == answer.headers["X-Request-Id"]
    assert reason not in answer.text and "Traceback" not in answer.text
    logged = [record.getMessage() for record in caplog.records if record.name == "studio.app"]
    assert any(answer.json()["requestId"] in line and reason in line for line in logged), logged


def explore(client: TestClient, kind: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/reporting/{kind}", json={**FIXED_JANUARY, **body}, headers=REQUEST_ID)
    assert response.status_code == 200, response.text
    return response.json()


@contextmanager
def studio_server(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a loopback port in a thread, for a browser; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the Studio did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def oidc_config(config: Config, jwks_url: str, **studio: Any) -> Config:
    """``config`` with the Studio taking the test issuer's tokens (keys at ``jwks_url``), plus ``studio`` keys."""
    settings = StudioConfig.model_validate({
        "auth": "oidc", "host": "0.0.0.0",
        "oidc": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": jwks_url, "leeway_seconds": 0},
        "pipeline": config.studio.pipeline.model_dump(), **studio,
    })  # fmt: skip
    return config.model_copy(update={"studio": settings})

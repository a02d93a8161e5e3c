"""Studio fixtures: the hand-computable warehouse (tests/studio/dataset.py) and a signed-in API client."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config
from studio.app import create_app
from tests.conftest import make_config
from tests.ingestion.test_auth import Issuer
from tests.studio.dataset import build_warehouse

PASSWORD = "local-password-for-tests"
REQUEST_ID = {"X-Click-Stream-Request-Id": "test-request"}
FIXED_JANUARY = {"appId": "shop", "timeScopeType": "FIXED", "timeStart": "2024-01-01", "timeEnd": "2024-01-31"}


@pytest.fixture(scope="module")
def studio_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = make_config(tmp_path_factory.mktemp("studio") / "home", apps=[{"id": "shop"}, {"id": "other"}])
    build_warehouse(config)
    return config


def signed_in(config: Config) -> TestClient:
    client = TestClient(create_app(config, password=PASSWORD))
    assert client.post("/auth/login", json={"password": PASSWORD}).status_code == 200
    return client


@pytest.fixture(scope="module")
def client(studio_config: Config) -> Iterator[TestClient]:
    with signed_in(studio_config) as api:
        yield api


def explore(client: TestClient, kind: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/reporting/{kind}", json={**FIXED_JANUARY, **body}, headers=REQUEST_ID)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    """An OIDC issuer on loopback serving its JWKS (one RSA key for the module: key generation is slow)."""
    state = Issuer()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = state.jwks()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """No access log in the test output."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    yield state
    server.shutdown()

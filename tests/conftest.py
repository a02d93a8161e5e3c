"""Fixtures shared by every test. Helpers the tests import live in ``tests.support``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clickstream.config import Config
from tests.support.aws import moto_server, use_fake_credentials
from tests.support.config import make_config

# The headless chromium fixture (`browser`) for every browser test.
pytest_plugins = ["tests.support.browser"]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path / "home")


@pytest.fixture(params=[True, False], ids=["direct", "asgi"])
def direct(request: pytest.FixtureRequest) -> bool:
    """The collector's answering path, for ``live_collector(config, direct=direct)``: a test that takes it
    runs once with collect POSTs answered on the connection and once through ASGI (``ingestion.direct``),
    which must answer alike."""
    return bool(request.param)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's AWS server in a thread on a free loopback port (one for the session; tests use unique names)."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials moto accepts, and no chance of reading a developer's real AWS configuration."""
    use_fake_credentials(monkeypatch, tmp_path)

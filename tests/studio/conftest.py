"""Studio fixtures: the hand-computable warehouse (tests/studio/dataset.py) and a signed-in API client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clickstream.config import Config
from clickstream.studio.app import create_app
from tests.ingestion.test_auth import Issuer, serving_jwks
from tests.studio.dataset import build_warehouse
from tests.support.config import make_config
from tests.support.studio import oidc_config, signed_in


@pytest.fixture(scope="module")
def studio_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = make_config(tmp_path_factory.mktemp("studio") / "home", apps=[{"id": "shop"}, {"id": "other"}])
    build_warehouse(config)
    return config


@pytest.fixture(scope="module")
def client(studio_config: Config) -> Iterator[TestClient]:
    with signed_in(studio_config) as api:
        yield api


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    """An OIDC issuer on loopback serving its JWKS (one RSA key for the module: key generation is slow)."""
    with serving_jwks(Issuer()) as state:
        yield state


@pytest.fixture
def oidc_studio(studio_config: Config, issuer: Issuer) -> Iterator[TestClient]:
    """The Studio on the hand-computable warehouse, taking the issuer's tokens (roles from their groups)."""
    with TestClient(create_app(oidc_config(studio_config, issuer.url))) as client:
        yield client
